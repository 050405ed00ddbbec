import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Client, S3Error } from 'minio';
import type { FileStore, FileToStore } from './file-store.js';

export interface S3FileStoreOptions {
  endPoint: string;
  port: number | undefined;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  pathStyle: boolean;
}

// The minio client reads a part into memory before sending it. A fixed, small part size bounds the
// memory one upload can take, whatever the file's size (S3's minimum part is 5 MiB).
const PART_SIZE = 5 * 1024 * 1024;

export class S3FileStore implements FileStore {
  readonly kind = 's3';
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;

  constructor(options: S3FileStoreOptions) {
    this.client = new Client({
      endPoint: options.endPoint,
      ...(options.port !== undefined ? { port: options.port } : {}),
      useSSL: options.useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: options.pathStyle,
      partSize: PART_SIZE,
    });
    this.bucket = options.bucket;
    this.region = options.region;
  }

  async ensureReady(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      await this.client.makeBucket(this.bucket, this.region);
    }
  }

  async put(key: string, file: FileToStore): Promise<void> {
    try {
      await this.client.putObject(this.bucket, key, createReadStream(file.path), file.size, {
        'Content-Type': file.contentType,
      });
    } finally {
      await rm(file.path, { force: true });
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if (error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'NotFound')) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, key);
  }
}
