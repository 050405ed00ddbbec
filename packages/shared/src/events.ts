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
  type: EventType;
  data: string;
}

/**
 * The one place that builds socket frames. The api encodes each event once; the gateway forwards
 * the bytes unchanged to every socket of the organization.
 */
export function encodeEnvelope<T extends EventType>(type: T, payload: EventPayloads[T]): string {
  const envelope: Envelope = { type, data: JSON.stringify(payload) };
  return JSON.stringify(envelope);
}
