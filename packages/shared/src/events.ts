import type { HelpDeskJson, MessageJson } from './objects.js';

/** Socket event types, as old clients switch on them (CONTRACT.md). */
export const EVENT_TYPES = ['update_helpdesk', 'new_message', 'update_message'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventPayloads {
  update_helpdesk: HelpDeskJson;
  new_message: MessageJson;
  update_message: MessageJson;
}

/** A socket frame as clients parse it: `data` is the object as a JSON *string*. */
export interface Envelope {
  type: EventType | typeof RESYNC_EVENT_TYPE;
  data: string;
  /** Ours: the organization's event sequence number, after the contract's keys; old clients ignore it. */
  id?: number;
}

/**
 * Ours: sent first to a socket that reconnects with a `last_event_id` older than the kept history.
 * The client refetches over REST; live events follow.
 */
export const RESYNC_EVENT_TYPE = 'resync';

/**
 * The one place that builds socket frames. The api encodes each event once; the gateway forwards
 * the bytes unchanged to every socket of the organization.
 */
export function encodeEnvelope<T extends EventType>(type: T, payload: EventPayloads[T], id?: number): string {
  const envelope: Envelope =
    id === undefined ? { type, data: JSON.stringify(payload) } : { type, data: JSON.stringify(payload), id };
  return JSON.stringify(envelope);
}

export function encodeResync(lastEventId: number): string {
  const envelope: Envelope = { type: RESYNC_EVENT_TYPE, data: JSON.stringify({ last_event_id: lastEventId }) };
  return JSON.stringify(envelope);
}

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
