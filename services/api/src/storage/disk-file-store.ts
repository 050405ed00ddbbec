import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileStore, FileToStore } from './file-store.js';

const SAFE_KEY = /^[a-f0-9]{32}$/;

// Owner only: stored files are private messages' attachments, and the process that serves them is
// the only reader (issue 13, item 8). 0700 on the store's folder alone shuts out everyone else,
// also from folders and files an older release made world-readable below it.
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

export class DiskFileStore implements FileStore {
  readonly kind = 'disk';
  constructor(private readonly dir: string) {}

  async ensureReady(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: FOLDER_MODE });
    await chmod(this.dir, FOLDER_MODE);
  }

  async put(key: string, file: FileToStore): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(join(target, '..'), { recursive: true, mode: FOLDER_MODE });
    try {
      await rename(file.path, target);
    } catch (error) {
      // The spool folder may be on another filesystem than the store.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(file.path, target);
      await rm(file.path, { force: true });
    }
    // The spool file is made 0600 already; a spool written by another tool, or a copy, may not be.
    await chmod(target, FILE_MODE);
  }

  async get(key: string): Promise<Readable | undefined> {
    if (!SAFE_KEY.test(key)) return undefined;
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    if (!SAFE_KEY.test(key)) return;
    await rm(this.pathOf(key), { force: true });
  }

  // Two levels of fan-out keep folders small with many files.
  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error('invalid file key');
    return join(this.dir, key.slice(0, 2), key);
  }
}
