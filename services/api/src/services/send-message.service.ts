import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { ERROR_MESSAGES, fileUrl, serializeMessage, type MessageJson } from '@helpdesk/shared';
import { sendMessageStatement, type SentMessage } from '../db/send-message.statement.js';
import { lockStorageOfHelpDesk, storageOfHelpDesk } from '../db/storage.repository.js';
import type { DB } from '../db/tables.js';
import type { WebhookWorker } from '../delivery/webhook-worker.js';
import type { OutboxRelay } from '../events/outbox-relay.js';
import type { FileStore, UploadedFile } from '../storage/file-store.js';
import { InvalidFieldError, StorageQuotaError } from './domain-errors.js';
import { commitWithUpload } from './upload-commit.js';

export interface SendMessageDeps {
  db: Kysely<DB>;
  files: FileStore;
  relay: OutboxRelay;
  deliveries: WebhookWorker;
  log: FastifyBaseLogger;
  /** Bytes of files one organization may keep (MAX_STORAGE_BYTES_PER_ORGANIZATION); 0: no quota. */
  storageQuotaBytes: number;
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
 * events after commit, handed over as stored (it need not read them back). A file is put in the
 * store before the row commits and removed again if the commit fails. Its bytes count against the
 * organization's storage quota: past it, nothing is stored (StorageQuotaError).
 */
export async function sendMessage(deps: SendMessageDeps, command: SendMessageCommand): Promise<MessageJson> {
  const { db, relay } = deps;
  const baseUrl = command.fileBaseUrl;
  const quota = deps.storageQuotaBytes;
  const fileBytes = command.file?.size ?? 0;
  const quotaApplies = quota > 0 && command.file !== undefined;
  // Refused before the file is stored when the quota is already too small for it; checked again,
  // under the organization's lock, in the transaction that counts it (a concurrent upload may
  // have taken the room meanwhile: its file is then removed again, and nothing else was written).
  if (quotaApplies) {
    const use = await storageOfHelpDesk(db, command.helpDeskUuid, command.organizationScope);
    if (use !== undefined && use.bytes + fileBytes > quota) throw new StorageQuotaError(quota);
  }
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
    // Without an Idempotency-Key or a quota to hold, the statement is its own transaction; with
    // one, the answer is stored beside it, and the quota checked before it, in one.
    const { recordAnswer } = command;
    if (recordAnswer === undefined && !quotaApplies) return store(db);
    return db.transaction().execute(async (trx) => {
      if (quotaApplies) {
        const use = await lockStorageOfHelpDesk(trx, command.helpDeskUuid, command.organizationScope);
        if (use !== undefined && use.bytes + fileBytes > quota) throw new StorageQuotaError(quota);
      }
      const result = await store(trx);
      await recordAnswer?.(trx, result.answer);
      return result;
    });
  });
  if (sent.hasWebhook) deps.deliveries.nudge();
  relay.committed(sent.events);
  return answer;
}
