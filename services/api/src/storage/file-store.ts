import type { Readable } from 'node:stream';

export interface FileToStore {
  /** Path of the fully received upload, spooled to local disk while its size limit was checked. */
  path: string;
  size: number;
  contentType: string;
}

/** An upload a message keeps: the spooled bytes and the client's name for them (metadata only). */
export interface UploadedFile extends FileToStore {
  name: string;
  /** Set once a file store took the spooled file (its put resolved): nothing is left to remove. */
  taken?: boolean;
}

/** Where uploaded files live: a folder on disk (embedded) or MinIO/S3 (distributed). */
export interface FileStore {
  readonly kind: 'disk' | 's3';
  /** Creates the folder or bucket if missing. */
  ensureReady(): Promise<void>;
  /** Moves the spooled upload into the store under `key`; the spool file is consumed. */
  put(key: string, file: FileToStore): Promise<void>;
  /** A stream of the stored bytes, or undefined when nothing is stored under `key`. */
  get(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
}
