import type { ApiConfig } from '../config.js';
import { DiskFileStore } from './disk-file-store.js';
import type { FileStore } from './file-store.js';
import { S3FileStore } from './s3-file-store.js';

export function createFileStore(storage: ApiConfig['storage']): FileStore {
  return storage.kind === 's3' ? new S3FileStore(storage) : new DiskFileStore(storage.dir);
}
