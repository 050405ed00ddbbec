/**
 * The digits of a search that reads as a phone number ("+55 (11) 99999-0000", "11 99999"), so that
 * it finds a phone however either was typed: spaces, dashes, dots, parentheses and `+` are
 * formatting. Undefined for any other text (a name), which is matched as typed.
 */
export function phoneDigits(search: string): string | undefined {
  if (!/^[\d\s+().-]+$/.test(search)) return undefined;
  const digits = search.replace(/\D/g, '');
  return digits === '' ? undefined : digits;
}
