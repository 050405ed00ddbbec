import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileStore, FileToStore } from './file-store.js';

const SAFE_KEY = /^[a-f0-9]{32}$/;

export class DiskFileStore implements FileStore {
  readonly kind = 'disk';
  constructor(private readonly dir: string) {}

  async ensureReady(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async put(key: string, file: FileToStore): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(join(target, '..'), { recursive: true });
    try {
      await rename(file.path, target);
    } catch (error) {
      // The spool folder may be on another filesystem than the store.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(file.path, target);
      await rm(file.path, { force: true });
    }
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
