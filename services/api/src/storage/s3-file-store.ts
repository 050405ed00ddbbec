import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
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

// A part is read into memory before it is sent (its SHA-256 signs the request over plain HTTP).
// A fixed, small part size bounds the memory one upload takes, whatever the file's size (S3's
// minimum part is 5 MiB; 10,000 parts of it allow files up to ~48 GiB).
export const PART_SIZE = 5 * 1024 * 1024;

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
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // Replicas starting together race to create it: losing that race is fine.
      const lostRace =
        error instanceof S3Error && (error.code === 'BucketAlreadyOwnedByYou' || error.code === 'BucketAlreadyExists');
      if (!lostRace || !(await this.client.bucketExists(this.bucket))) throw error;
    }
  }

  async put(key: string, file: FileToStore): Promise<void> {
    try {
      if (file.size <= PART_SIZE) {
        await this.client.putObject(this.bucket, key, createReadStream(file.path), file.size, {
          'Content-Type': file.contentType,
        });
      } else {
        await this.putInParts(key, file);
      }
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /**
   * A multipart upload done here rather than by putObject: minio's putObject first lists the
   * bucket's incomplete uploads (ListMultipartUploads) to resume one of the same key. Our keys are
   * new random ids, so that is a wasted request needing an extra permission (s3:ListBucketMultipartUploads),
   * and S3 servers without that call (s3rver) refuse the whole upload. putObject also leaves a failed
   * upload's parts behind, billed until a lifecycle rule removes them; this aborts it.
   */
  private async putInParts(key: string, file: FileToStore): Promise<void> {
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, key, {
      'Content-Type': file.contentType,
    });
    try {
      const parts: Array<{ part: number; etag: string }> = [];
      const handle = await open(file.path, 'r');
      try {
        for (let part = 1, offset = 0; offset < file.size; part++, offset += PART_SIZE) {
          const chunk = await readExactly(handle, offset, Math.min(PART_SIZE, file.size - offset));
          const { etag } = await this.client.uploadPart(
            {
              bucketName: this.bucket,
              objectName: key,
              uploadID: uploadId,
              partNumber: part,
              headers: { 'Content-MD5': createHash('md5').update(chunk).digest('base64') },
            },
            chunk,
          );
          parts.push({ part, etag });
        }
      } finally {
        await handle.close();
      }
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, parts);
    } catch (error) {
      // Best effort: the upload failed already, and an unremoved upload only costs storage.
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw error;
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

/** `length` bytes of the file from `offset`; fails if the file is shorter (it changed under us). */
async function readExactly(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0)
      throw new Error(`spooled upload ended at ${offset + filled} bytes, expected ${offset + length}`);
    filled += bytesRead;
  }
  return buffer;
}
