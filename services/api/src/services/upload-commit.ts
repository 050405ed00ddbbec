import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { StoredFileInfo } from '../db/message.repository.js';
import type { FileStore, UploadedFile } from '../storage/file-store.js';

/**
 * Puts an upload in the file store under a fresh random key, then runs `commit` (the transaction
 * that stores the message naming it). If the commit fails, the stored file is removed again, so
 * no file outlives a message that was never stored.
 */
export async function commitWithUpload<T>(
  store: { files: FileStore; log: FastifyBaseLogger },
  file: UploadedFile | undefined,
  commit: (stored: StoredFileInfo | null) => Promise<T>,
): Promise<T> {
  let stored: StoredFileInfo | null = null;
  if (file) {
    stored = { key: randomBytes(16).toString('hex'), name: file.name, contentType: file.contentType, size: file.size };
    await store.files.put(stored.key, file);
    file.taken = true;
  }
  try {
    return await commit(stored);
  } catch (error) {
    if (stored) {
      const { key } = stored;
      await store.files
        .delete(key)
        .catch((e: unknown) => store.log.warn({ err: e }, 'could not remove an orphaned file'));
    }
    throw error;
  }
}
