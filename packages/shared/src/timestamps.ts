// Postgres prints timestamptz (DateStyle ISO) as "2021-06-14 22:10:39.551836-03": the fraction
// loses trailing zeros and the offset its minutes. The contract wants what Django/DRF printed:
// "2021-06-14T22:10:39.551836-03:00" — always six fractional digits, offset as ±HH:MM.
// Timestamps are read from the database as text so no microsecond is lost to a JS Date.
const PG_TIMESTAMPTZ =
  /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

export function pgTimestampToIso(text: string): string {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) throw new Error(`unexpected timestamptz text from the database: ${JSON.stringify(text)}`);
  const [, date, time, fraction = '', offsetHours, offsetMinutes = '00', offsetSeconds] = m;
  const seconds = offsetSeconds ? `:${offsetSeconds}` : '';
  return `${date}T${time}.${fraction.padEnd(6, '0')}${offsetHours}:${offsetMinutes}${seconds}`;
}
