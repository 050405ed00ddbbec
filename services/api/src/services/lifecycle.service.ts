import type { Kysely } from 'kysely';
import {
  serializeHelpDesk,
  serializeMessage,
  type HelpDeskJson,
  type HelpDeskStatus,
  type MessageJson,
  type MessageStatusUpdate,
} from '@helpdesk/shared';
import { findHelpDesk, getHelpDeskRecord, setHelpDeskStatus } from '../db/help-desk.repository.js';
import { findMessage, updateMessageStatus } from '../db/message.repository.js';
import { enqueueEvents } from '../db/outbox.repository.js';
import type { DB } from '../db/tables.js';
import type { OutboxRelay } from '../events/outbox-relay.js';
import { InvalidFieldError, NotFoundError } from './domain-errors.js';
import { canMoveMessage, moveRefusal } from '../lifecycle/statuses.js';

// Status callbacks and help-desk state (issue 4, item 5). Each change commits with its event.

export interface LifecycleDeps {
  db: Kysely<DB>;
  relay: OutboxRelay;
}

export interface StatusChange<S> {
  uuid: string;
  status: S;
  fileBaseUrl: string;
  /** Whether the caller's key may write to the organization; others' objects look nonexistent. */
  mayAccess(organizationId: string): boolean;
}

/** Moves a message forward (update_message); a backward or same move is a 400 on `status`. */
export async function changeMessageStatus(
  { db, relay }: LifecycleDeps,
  change: StatusChange<MessageStatusUpdate>,
): Promise<MessageJson> {
  const answer = await db.transaction().execute(async (trx) => {
    // Locked: two callbacks for one message (delivered and read arriving together) take turns.
    const message = await findMessage(trx, change.uuid, true);
    if (!message || !change.mayAccess(message.organizationId)) throw new NotFoundError();
    if (!canMoveMessage(message.status, change.status)) {
      throw new InvalidFieldError('status', moveRefusal(message.status, change.status));
    }
    const updated = serializeMessage(
      await updateMessageStatus(trx, message.id, message.helpDeskUuid, change.status),
      change.fileBaseUrl,
    );
    await enqueueEvents(trx, { id: message.organizationId, name: message.organizationName }, [
      { type: 'update_message', payload: updated },
    ]);
    return updated;
  });
  relay.committed();
  return answer;
}

/** Opens or closes a help desk (update_helpdesk); setting the status it has changes nothing. */
export async function changeHelpDeskStatus(
  { db, relay }: LifecycleDeps,
  change: StatusChange<HelpDeskStatus>,
): Promise<HelpDeskJson> {
  let changed = false;
  const answer = await db.transaction().execute(async (trx) => {
    const helpDesk = await findHelpDesk(trx, change.uuid, true);
    if (!helpDesk || !change.mayAccess(helpDesk.organizationId)) throw new NotFoundError();
    if (helpDesk.status === change.status) {
      return serializeHelpDesk(await getHelpDeskRecord(trx, helpDesk.id), change.fileBaseUrl);
    }
    await setHelpDeskStatus(trx, helpDesk.id, change.status);
    const updated = serializeHelpDesk(await getHelpDeskRecord(trx, helpDesk.id), change.fileBaseUrl);
    await enqueueEvents(trx, { id: helpDesk.organizationId, name: helpDesk.organizationName }, [
      { type: 'update_helpdesk', payload: updated },
    ]);
    changed = true;
    return updated;
  });
  if (changed) relay.committed();
  return answer;
}
