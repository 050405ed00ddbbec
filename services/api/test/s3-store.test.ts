import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, type BucketItem } from 'minio';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FileStore } from '../src/storage/s3-file-store.js';
import { createOrganization } from '../../../test/organization.js';
import { multipartBody, startApi, type ApiHarness } from './api-harness.js';

// The S3 path against a real S3 HTTP server (s3rver, in this process): the api creates its
// bucket, uploads through the minio client (multipart above 5 MiB), and serves the bytes back.

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

let s3: S3rver;
let s3Dir: string;
let port: number;
let bucket: string;
let inspector: Client;
let api: ApiHarness;

beforeAll(async () => {
  s3Dir = await mkdtemp(join(tmpdir(), 'hd-s3rver-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir });
  ({ port } = await s3.run());
  bucket = `hd-files-${randomBytes(4).toString('hex')}`;
  inspector = new Client({
    endPoint: '127.0.0.1',
    port,
    useSSL: false,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    region: 'us-east-1',
    pathStyle: true,
  });
  api = await startApi({
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_ACCESS_KEY: ACCESS_KEY,
    S3_SECRET_KEY: SECRET_KEY,
    S3_BUCKET: bucket,
  });
});

afterAll(async () => {
  await api?.close();
  await s3?.close();
  if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function objectKeys(): Promise<string[]> {
  const keys: string[] = [];
  const items = inspector.listObjectsV2(bucket, '', true) as AsyncIterable<BucketItem>;
  for await (const item of items) {
    if (typeof item.name === 'string') keys.push(item.name);
  }
  return keys.sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function sendFile(helpDesk: string, bytes: Buffer, filename: string, contentType: string) {
  const body = multipartBody([
    { name: 'message', value: 'arquivo' },
    { name: 'help_desk', value: helpDesk },
    { name: 'file', value: bytes, filename, contentType },
  ]);
  return api.app.inject({ method: 'POST', url: '/api/send-message/', headers: body.headers, payload: body.payload });
}

describe('S3 file store (s3rver)', () => {
  it('creates its bucket at start, and starts again when the bucket exists', async () => {
    expect(await inspector.bucketExists(bucket)).toBe(true);
    const again = await startApi({
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_ACCESS_KEY: ACCESS_KEY,
      S3_SECRET_KEY: SECRET_KEY,
      S3_BUCKET: bucket,
    });
    await again.close();
  });

  it('replicas starting together on a missing bucket all get ready (one creates it)', async () => {
    const fresh = `hd-race-${randomBytes(4).toString('hex')}`;
    const stores = [1, 2, 3, 4].map(
      () =>
        new S3FileStore({
          endPoint: '127.0.0.1',
          port,
          useSSL: false,
          accessKey: ACCESS_KEY,
          secretKey: SECRET_KEY,
          bucket: fresh,
          region: 'us-east-1',
          pathStyle: true,
        }),
    );
    const outcomes = await Promise.allSettled(stores.map((store) => store.ensureReady()));
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ready'))).toEqual([
      'ready',
      'ready',
      'ready',
      'ready',
    ]);
    expect(await inspector.bucketExists(fresh)).toBe(true);
  });

  it('an upload lands in the bucket, and its URL serves the same bytes through the api', async () => {
    const { helpDesk } = await createOrganization(api, 's3-small');
    const bytes = randomBytes(70_000);
    const res = await sendFile(helpDesk.uuid, bytes, 'foto.png', 'image/png');
    expect(res.statusCode).toBe(201);
    const url = new URL(res.json<{ file: string }>().file);
    const [, key] = /^\/api\/files\/([0-9a-f]{32})\/foto\.png$/.exec(url.pathname) ?? [];
    expect(key).toBeDefined();

    const stat = await inspector.statObject(bucket, key!);
    expect(stat.size).toBe(bytes.length);
    expect(stat.metaData['content-type']).toBe('image/png');
    expect((await readAll(await inspector.getObject(bucket, key!))).equals(bytes)).toBe(true);

    const file = await api.app.inject({ url: url.pathname });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-length']).toBe(String(bytes.length));
    expect(file.rawPayload.equals(bytes)).toBe(true);

    const { storedFiles, spoolFiles } = await api.traces();
    expect(storedFiles).toEqual([]); // nothing on the local disk store
    expect(spoolFiles).toEqual([]);
  });

  it('a file over the 5 MiB part size (a multipart upload) round-trips byte for byte', async () => {
    const { helpDesk } = await createOrganization(api, 's3-large');
    const bytes = randomBytes(5 * 1024 * 1024 * 2 + 12_345); // three parts, the last one short
    const res = await sendFile(helpDesk.uuid, bytes, 'video.mp4', 'video/mp4');
    expect(res.statusCode).toBe(201);
    const { pathname } = new URL(res.json<{ file: string }>().file);
    const key = pathname.split('/')[3]!;

    const stat = await inspector.statObject(bucket, key);
    expect(stat.size).toBe(bytes.length);
    expect(sha256(await readAll(await inspector.getObject(bucket, key)))).toBe(sha256(bytes));

    const file = await api.app.inject({ url: pathname });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.length).toBe(bytes.length);
    expect(sha256(file.rawPayload)).toBe(sha256(bytes));
    expect((await api.traces()).spoolFiles).toEqual([]);
  });

  it('a refused send leaves no object in the bucket and no spool file', async () => {
    const before = await objectKeys();
    const unknown = '0b6b4a5e-7c1d-4f0e-9a51-3f1f3c2d9e77';
    const res = await sendFile(unknown, randomBytes(1000), 'x.bin', 'application/octet-stream');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ help_desk: [`Invalid pk "${unknown}" - object does not exist.`] });
    expect(await objectKeys()).toEqual(before);
    expect((await api.traces()).spoolFiles).toEqual([]);
  });

  it('a file whose object is gone is not found', async () => {
    const { helpDesk } = await createOrganization(api, 's3-gone');
    const res = await sendFile(helpDesk.uuid, randomBytes(10), 'gone.txt', 'text/plain');
    const { pathname } = new URL(res.json<{ file: string }>().file);
    await inspector.removeObject(bucket, pathname.split('/')[3]!);
    const file = await api.app.inject({ url: pathname });
    expect({ status: file.statusCode, body: file.json<unknown>() }).toEqual({
      status: 404,
      body: { detail: 'Not found.' },
    });
  });
});
