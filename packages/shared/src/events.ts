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
