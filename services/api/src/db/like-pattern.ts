/**
 * A LIKE/ILIKE pattern that matches any text containing `text` literally: its `%`, `_` and `\`
 * are escaped with `\`, Postgres' default LIKE escape character (no ESCAPE clause needed).
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}
