// Kept apart from events.ts, which browsers load through client-contract: this reads Node Buffers.

const CLOSE_BRACE = 0x7d;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

/**
 * The `id` of an encoded envelope, read from its tail (`…,"id":123}`) without parsing the JSON:
 * the gateway needs it per event to drop duplicates, and must not parse payloads on that path.
 */
export function envelopeId(payload: Buffer | string): number | undefined {
  const bytes = typeof payload === 'string' ? Buffer.from(payload.slice(-24)) : payload.subarray(-24);
  let end = bytes.length - 1;
  if (bytes[end] !== CLOSE_BRACE) return undefined;
  let id = 0;
  let scale = 1;
  let digits = 0;
  for (end -= 1; end >= 0; end -= 1) {
    const byte = bytes[end]!;
    if (byte === COLON) break;
    const digit = byte - DIGIT_0;
    if (digit < 0 || digit > 9 || digits === 16) return undefined;
    id += digit * scale;
    scale *= 10;
    digits += 1;
  }
  // `"id":` must stand right before the digits.
  if (digits === 0 || end < 5 || bytes.toString('latin1', end - 5, end) !== ',"id"') return undefined;
  return id;
}
