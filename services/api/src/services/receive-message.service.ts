import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { serializeHelpDesk, serializeMessage, type MessageJson } from '@helpdesk/shared';
import { findClientByPhone, insertClient } from '../db/client.repository.js';
import { createHelpDesk, findOpenHelpDesk, getHelpDeskRecord, setLastMessage } from '../db/help-desk.repository.js';
import { insertMessage } from '../db/message.repository.js';
import { lockOrganizationPhone, type OrganizationRef } from '../db/organization.repository.js';
import { enqueueEvents } from '../db/outbox.repository.js';
import { addStorageBytes, storageOfOrganization } from '../db/storage.repository.js';
import type { DB } from '../db/tables.js';
import type { OutboxRelay } from '../events/outbox-relay.js';
import type { FileStore, UploadedFile } from '../storage/file-store.js';
import { StorageQuotaError } from './domain-errors.js';
import { commitWithUpload } from './upload-commit.js';

// Inbound messages (issue 4, item 3): what a channel provider posts when a client writes.

export interface ReceiveMessageDeps {
  db: Kysely<DB>;
  files: FileStore;
  relay: OutboxRelay;
  log: FastifyBaseLogger;
  /** Bytes of files one organization may keep (MAX_STORAGE_BYTES_PER_ORGANIZATION); 0: no quota. */
  storageQuotaBytes: number;
}

export interface ReceiveMessageCommand {
  organization: OrganizationRef;
  client: { name: string; phone: string };
  message: string;
  file: UploadedFile | undefined;
  fileBaseUrl: string;
  /** Called in the transaction with the answer, to store it with what it describes (Idempotency-Key). */
  recordAnswer?: (trx: Transaction<DB>, answer: MessageJson) => Promise<void>;
}

/**
 * Finds or creates the client (by phone, in the organization) and its open help desk (opening
 * one if none is), stores a `received` message, and commits new_message and update_helpdesk
 * with it. Received messages are `sent`: the client sent them and they are here.
 */
export async function receiveMessage(deps: ReceiveMessageDeps, command: ReceiveMessageCommand): Promise<MessageJson> {
  const { db, relay } = deps;
  const quota = deps.storageQuotaBytes;
  const fileBytes = command.file?.size ?? 0;
  // As send-message: refused before the file is stored when there is clearly no room for it, and
  // counted (quota checked again) in the transaction that stores the message.
  if (quota > 0 && command.file !== undefined) {
    if ((await storageOfOrganization(db, command.organization.id)) + fileBytes > quota) {
      throw new StorageQuotaError(quota);
    }
  }
  const answer = await commitWithUpload(deps, command.file, (stored) =>
    db.transaction().execute(async (trx) => {
      const { organization } = command;
      await lockOrganizationPhone(trx, organization.id, command.client.phone);
      const clientId =
        (await findClientByPhone(trx, organization.id, command.client.phone)) ??
        (await insertClient(trx, { uuid: randomUUID(), organizationId: organization.id, ...command.client }));
      const helpDeskId =
        (await findOpenHelpDesk(trx, clientId)) ??
        (await createHelpDesk(trx, { uuid: randomUUID(), organizationId: organization.id, clientId }));
      const before = await getHelpDeskRecord(trx, helpDeskId);
      const created = await insertMessage(trx, {
        uuid: randomUUID(),
        organizationId: organization.id,
        helpDesk: { id: helpDeskId, uuid: before.uuid },
        message: command.message,
        file: stored,
        type: 'received',
        status: 'sent',
      });
      await setLastMessage(trx, helpDeskId, created.id);
      // After the help desk's row lock, before the organization's event ids: the order writers keep.
      if (stored !== null && !(await addStorageBytes(trx, organization.id, stored.size, quota))) {
        throw new StorageQuotaError(quota);
      }
      const message = serializeMessage(created.record, command.fileBaseUrl);
      await enqueueEvents(trx, organization, [
        { type: 'new_message', payload: message },
        {
          type: 'update_helpdesk',
          payload: serializeHelpDesk(await getHelpDeskRecord(trx, helpDeskId), command.fileBaseUrl),
        },
      ]);
      await command.recordAnswer?.(trx, message);
      return message;
    }),
  );
  relay.committed();
  return answer;
}
