import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { ERROR_MESSAGES, fileUrl, serializeMessage, type MessageJson } from '@helpdesk/shared';
import { sendMessageStatement, type SentMessage } from '../db/send-message.statement.js';
import type { DB } from '../db/tables.js';
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
 * Stores a `sent` message and its events at once (one statement, send-message.statement.ts):
 * new_message (`sending`), update_helpdesk (its new last_message) and, when the organization has
 * no delivery webhook, the move to `sent` (update_message). With a webhook it stays `sending` and
 * a delivery is queued with it. The answer is the message as stored. The relay publishes the
 * events after commit. A file is put in the store before the row commits and removed again if
 * the commit fails.
 */
export async function sendMessage(deps: SendMessageDeps, command: SendMessageCommand): Promise<MessageJson> {
  const { db, relay } = deps;
  const baseUrl = command.fileBaseUrl;
  const { sent, answer } = await commitWithUpload(deps, command.file, async (stored) => {
    const input = {
      uuid: randomUUID(),
      helpDeskUuid: command.helpDeskUuid,
      organizationId: command.organizationScope,
      message: command.message,
      file: stored,
      fileUrl: stored === null ? null : fileUrl(baseUrl, stored.key, stored.name),
      fileBaseUrl: baseUrl,
    };
    const store = async (executor: Kysely<DB> | Transaction<DB>) => {
      const sent: SentMessage | undefined = await sendMessageStatement(executor, input);
      if (sent === undefined)
        throw new InvalidFieldError('help_desk', ERROR_MESSAGES.doesNotExist(command.helpDeskUuid));
      // With a webhook the answer is the message as created (`sending`); without, as stored (`sent`).
      return { sent, answer: serializeMessage(sent.message, baseUrl) };
    };
    // Without an Idempotency-Key the statement is its own transaction; with one, the answer is
    // stored beside it in one.
    const { recordAnswer } = command;
    if (recordAnswer === undefined) return store(db);
    return db.transaction().execute(async (trx) => {
      const result = await store(trx);
      await recordAnswer(trx, result.answer);
      return result;
    });
  });
  if (sent.hasWebhook) deps.deliveries.nudge();
  relay.nudge();
  return answer;
}
