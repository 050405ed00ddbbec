import type { BusPayload } from '@helpdesk/shared';

/** A bus payload kept for later (a replay's live buffer, a gap fill's held-back events), with its id and size. */
export interface HeldPayload {
  id: number | undefined;
  payload: BusPayload;
  bytes: number;
}

export function heldPayload(id: number | undefined, payload: BusPayload): HeldPayload {
  return { id, payload, bytes: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength };
}
