import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { ERROR_MESSAGES, serializeHelpDesk, serializeMessage, type MessageJson } from '@helpdesk/shared';
import { findHelpDesk, getHelpDeskRecord, setLastMessage } from '../db/help-desk.repository.js';
import { insertMessage, updateMessageStatus, type StoredFileInfo } from '../db/message.repository.js';
import type { DB } from '../db/tables.js';
import type { OrganizationEvents } from '../events/organization-events.js';
import { fieldError } from '../http/api-error.js';
import type { SpooledFile } from '../http/multipart-input.js';
import type { FileStore } from '../storage/file-store.js';

export interface SendMessageDeps {
  db: Kysely<DB>;
  files: FileStore;
  events: OrganizationEvents;
  log: FastifyBaseLogger;
}

export interface SendMessageCommand {
  helpDeskUuid: string;
  message: string;
  file: SpooledFile | undefined;
  fileBaseUrl: string;
  /** Whether the caller's key may write to the help desk's organization; others' look nonexistent. */
  mayAccess(organizationId: string): boolean;
}

/**
 * Stores a `sent` message (created `sending`), then tells the organization's sockets:
 * new_message, update_helpdesk (its new last_message), and update_message once it is `sent`.
 * A file is put in the store before the row commits and removed again if the commit fails.
 */
export async function sendMessage(deps: SendMessageDeps, command: SendMessageCommand): Promise<MessageJson> {
  try {
    return await storeAndAnnounce(deps, command);
  } finally {
    // The store consumed the spool file if it took it; on any failure before that, nothing is left.
    await command.file?.discard();
  }
}

async function storeAndAnnounce(deps: SendMessageDeps, command: SendMessageCommand): Promise<MessageJson> {
  const { db, files, events, log } = deps;
  const helpDesk = await findHelpDesk(db, command.helpDeskUuid);
  if (!helpDesk || !command.mayAccess(helpDesk.organizationId)) {
    throw fieldError('help_desk', ERROR_MESSAGES.doesNotExist(command.helpDeskUuid));
  }

  let stored: StoredFileInfo | null = null;
  if (command.file) {
    const { file } = command;
    stored = { key: randomBytes(16).toString('hex'), name: file.name, contentType: file.contentType, size: file.size };
    await files.put(stored.key, file);
  }

  let created;
  try {
    created = await db.transaction().execute(async (trx) => {
      const message = await insertMessage(trx, {
        uuid: randomUUID(),
        organizationId: helpDesk.organizationId,
        helpDesk,
        message: command.message,
        file: stored,
        type: 'sent',
        status: 'sending',
      });
      await setLastMessage(trx, helpDesk.id, message.id);
      return { message, helpDesk: await getHelpDeskRecord(trx, helpDesk.id) };
    });
  } catch (error) {
    if (stored)
      await files.delete(stored.key).catch((e: unknown) => log.warn({ err: e }, 'could not remove an orphaned file'));
    throw error;
  }

  const organization = helpDesk.organizationName;
  const baseUrl = command.fileBaseUrl;
  try {
    await events.publish(organization, 'new_message', serializeMessage(created.message.record, baseUrl));
    await events.publish(organization, 'update_helpdesk', serializeHelpDesk(created.helpDesk, baseUrl));
  } catch (error) {
    // The message is committed; it stays `sending` so nobody believes it was announced.
    log.error({ err: error, organization }, 'could not publish the new message events');
    return serializeMessage(created.message.record, baseUrl);
  }

  const sent = serializeMessage(await updateMessageStatus(db, created.message.id, helpDesk.uuid, 'sent'), baseUrl);
  await events
    .publish(organization, 'update_message', sent)
    .catch((error: unknown) => log.error({ err: error, organization }, 'could not publish update_message'));
  return sent;
}
