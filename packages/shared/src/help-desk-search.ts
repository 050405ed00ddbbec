/**
 * The longest `search` of the help-desk list (GET /api/help-desks/?search=): room for any part of
 * a name or phone a person types. An input bound like a client name's, not a tuning knob. This
 * module (the search's rules) has no dependency, so a browser bundle takes it without the schemas.
 */
export const HELP_DESK_SEARCH_MAX_LENGTH = 100;

/**
 * The digits of a search that reads as a phone number ("+55 (11) 99999-0000", "11 99999"), so that
 * it finds a phone however either was typed: spaces, dashes, dots, parentheses and `+` are
 * formatting. Undefined for any other text (a name), which is matched as typed.
 */
export function searchPhoneDigits(search: string): string | undefined {
  if (!/^[\d\s+().-]+$/.test(search)) return undefined;
  const digits = search.replace(/\D/g, '');
  return digits === '' ? undefined : digits;
}

/**
 * Whether a client matches the list's `search` (trimmed, not empty) as the api's does: a part of
 * the name or phone in any case, literally, or, for a number, the phone's digits. A client app
 * judges live updates with it, so that they land where the server would list them.
 */
export function clientMatchesSearch(client: { name: string; phone: string }, search: string): boolean {
  const wanted = search.toLowerCase();
  if (client.name.toLowerCase().includes(wanted) || client.phone.toLowerCase().includes(wanted)) return true;
  const digits = searchPhoneDigits(search);
  return digits !== undefined && client.phone.replace(/\D/g, '').includes(digits);
}
