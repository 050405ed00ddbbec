import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { ERROR_MESSAGES, serializeHelpDesk, serializeMessage, type MessageJson } from '@helpdesk/shared';
import type { DB } from '../db/tables.js';
import { insertNumberedEvents, type OutgoingEvent } from '../db/outbox.repository.js';
import { insertSentMessage } from '../db/sent-message.repository.js';
import { enqueueDelivery } from '../db/webhook.repository.js';
import type { WebhookWorker } from '../delivery/webhook-worker.js';
import type { OutboxRelay } from '../events/outbox-relay.js';
import type { FileStore, UploadedFile } from '../storage/file-store.js';
import { InvalidFieldError } from './domain-errors.js';
import { commitWithUpload } from './upload-commit.js';

export interface SendMessageDeps {
  db: Kysely<DB>;
  files: FileStore;
  relay: OutboxRelay;
  deliveries: WebhookWorker;
  log: FastifyBaseLogger;
}

export interface SendMessageCommand {
  helpDeskUuid: string;
  message: string;
  file: UploadedFile | undefined;
  fileBaseUrl: string;
  /** Called in the transaction with the answer, to store it with what it describes (Idempotency-Key). */
  recordAnswer?: (trx: Transaction<DB>, answer: MessageJson) => Promise<void>;
  /**
   * The organization whose help desks the caller's key may write to (others' look nonexistent);
   * null: any (an administrator's key).
   */
  organizationScope: string | null;
}

/**
 * Stores a `sent` message and its events in one transaction: new_message (`sending`),
 * update_helpdesk (its new last_message) and, when the organization has no delivery webhook,
 * the move to `sent` (update_message). With a webhook it stays `sending` and a delivery is queued
 * in the same transaction. The answer is the message as stored. The relay publishes the events after
 * commit. A file is put in the store before the row commits and removed again if the commit fails.
 */
export async function sendMessage(deps: SendMessageDeps, command: SendMessageCommand): Promise<MessageJson> {
  const { db, relay } = deps;
  const missing = () => new InvalidFieldError('help_desk', ERROR_MESSAGES.doesNotExist(command.helpDeskUuid));

  const baseUrl = command.fileBaseUrl;
  let delivering = false;
  const answer = await commitWithUpload(deps, command.file, (stored) =>
    db.transaction().execute(async (trx) => {
      // One statement finds the help desk (only among those the key may write to: others' look
      // nonexistent) and writes the message. Without a webhook nothing else delivers the message:
      // it is stored `sent` at once, and the `sending` it was created as is the same row as of its
      // creation (one write, not two). With a webhook: new_message and update_helpdesk; without,
      // update_message (`sent`) too.
      const created = await insertSentMessage(trx, {
        uuid: randomUUID(),
        helpDeskUuid: command.helpDeskUuid,
        organizationId: command.organizationScope,
        message: command.message,
        file: stored,
      });
      if (created === undefined) throw missing();
      // As the message was when created: `sending`, not yet updated.
      const asCreated = { status: 'sending', updated_at: created.message.created_at } as const;
      const sending = serializeMessage({ ...created.message, ...asCreated }, baseUrl);
      const helpDeskRecord = created.helpDesk;
      if (helpDeskRecord.last_message) Object.assign(helpDeskRecord.last_message, asCreated);
      const events: OutgoingEvent[] = [
        { type: 'new_message', payload: sending },
        { type: 'update_helpdesk', payload: serializeHelpDesk(helpDeskRecord, baseUrl) },
      ];
      let result = sending;
      if (created.hasWebhook) {
        // Delivered by the webhook worker: `sent` (or `failed`) once the webhook answers.
        await enqueueDelivery(trx, {
          messageId: created.messageId,
          organizationId: created.organizationId,
          fileBaseUrl: baseUrl,
        });
        delivering = true;
      } else {
        result = serializeMessage(created.message, baseUrl);
        events.push({ type: 'update_message', payload: result });
      }
      const organization = { id: created.organizationId, name: created.organizationName };
      await insertNumberedEvents(trx, organization, events, created.lastEventId);
      await command.recordAnswer?.(trx, result);
      return result;
    }),
  );
  if (delivering) deps.deliveries.nudge();
  relay.nudge();
  return answer;
}
