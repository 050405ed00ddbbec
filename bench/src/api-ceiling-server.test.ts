import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope, organizationChannel, type EventType, type MessageJson } from '@helpdesk/shared';
import { REPO_ROOT, startService, type ServiceProcess } from '../../test/process-harness.js';
import { createOrganization, type TestOrganization } from '../../test/organization.js';
import { bearer } from '../../test/rest.js';
import { createTestDatabase, redisPrefix, testEnv } from '../../test/test-env.js';

// The api ceiling must do the api's work, or the ratio to it means nothing: the same rows (the
// api reads them back as its own), the same envelopes byte for byte (shapes, ids, keys in order).
describe('api ceiling server (bench): the same writes and envelopes as the api, bare', () => {
  const adminToken = randomBytes(24).toString('base64url');
  let api: ServiceProcess;
  let ceiling: ServiceProcess;
  let filesDir: string;
  let subscriber: Redis;
  let tenant: TestOrganization;
  let databaseUrl: string;
  const frames: string[] = [];

  const apiUrl = () => `http://127.0.0.1:${api.port}`;
  const ceilingUrl = () => `http://127.0.0.1:${ceiling.port}`;
  const nextFrames = async (n: number) => {
    await expect.poll(() => frames.length, { timeout: 5000 }).toBeGreaterThanOrEqual(n);
    return frames.splice(0, n).map((f) => JSON.parse(f) as { type: EventType; data: string; id: number });
  };
  const apiGet = async (path: string) => {
    const res = await fetch(`${apiUrl()}${path}`, { headers: bearer(tenant.key) });
    expect(res.status).toBe(200);
    return res.text();
  };
  /** Object keys, recursively, in order: the shape the contract fixes. */
  const shape = (value: unknown): unknown =>
    value !== null && typeof value === 'object' ? Object.entries(value).map(([k, v]) => [k, shape(v)]) : typeof value;

  beforeAll(async () => {
    const prefix = redisPrefix();
    filesDir = await mkdtemp(join(tmpdir(), 'hd-api-ceiling-'));
    databaseUrl = await createTestDatabase();
    const { redisUrl } = testEnv();
    api = await startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      SECRET_KEY: randomBytes(32).toString('base64url'),
      ADMIN_TOKEN: adminToken,
      FILES_DIR: filesDir,
    });
    ceiling = await startService(join(REPO_ROOT, 'bench/dist/api-ceiling-server.js'), {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      FILES_DIR: filesDir,
    });
    tenant = await createOrganization({ baseUrl: apiUrl(), adminToken }, 'ceiling');
    subscriber = new Redis(redisUrl);
    subscriber.on('message', (_channel: string, message: string) => frames.push(message));
    await subscriber.subscribe(organizationChannel(prefix, tenant.name));
  }, 60_000);

  afterAll(async () => {
    subscriber?.disconnect();
    await Promise.all([api?.stop(), ceiling?.stop()]);
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  it('stores a JSON message as the api would and publishes the api’s three envelopes for it', async () => {
    const helpDesk = String(tenant.helpDesk.uuid);
    const viaApi = await fetch(`${apiUrl()}/api/send-message/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(tenant.key) },
      body: JSON.stringify({ message: 'via the api', help_desk: helpDesk }),
    });
    expect(viaApi.status).toBe(201);
    const apiFrames = await nextFrames(3);

    const res = await fetch(`${ceilingUrl()}/api/send-message/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'via the "ceiling"\n\u0001é', help_desk: helpDesk }),
    });
    expect(res.status).toBe(201);
    const answer = await res.text();
    const sent = JSON.parse(answer) as MessageJson;
    expect(sent).toMatchObject({ message: 'via the "ceiling"\n\u0001é', file: null, type: 'sent', status: 'sent' });

    // The api reads the row back exactly as the ceiling answered it.
    const history = JSON.parse(await apiGet(`/api/help-desks/${helpDesk}/history/`)) as unknown[];
    expect(JSON.stringify(history.at(-1))).toBe(answer);

    const ceilingFrames = await nextFrames(3);
    // The organization's event ids go on from the api's three to the ceiling's three (where they
    // start depends on which of the file's tests ran first).
    const first = apiFrames[0]!.id;
    expect(ceilingFrames.map((f) => [f.type, f.id])).toEqual([
      ['new_message', first + 3],
      ['update_helpdesk', first + 4],
      ['update_message', first + 5],
    ]);
    expect(apiFrames.map((f) => [f.type, f.id])).toEqual([
      ['new_message', first],
      ['update_helpdesk', first + 1],
      ['update_message', first + 2],
    ]);
    for (const [i, frame] of ceilingFrames.entries()) {
      const data = JSON.parse(frame.data) as unknown;
      // Byte for byte what the shared encoder makes of the same object (escapes, key order, id).
      expect(JSON.stringify(frame)).toBe(encodeEnvelope(frame.type, data as never, frame.id));
      expect(shape(data)).toEqual(shape(JSON.parse(apiFrames[i]!.data)));
    }
    const sending = { ...sent, status: 'sending', updated_at: sent.created_at };
    expect(JSON.parse(ceilingFrames[0]!.data)).toEqual(sending);
    expect(ceilingFrames[2]!.data).toBe(answer);
    const listed = (JSON.parse(await apiGet(`/api/help-desks/?organization=${tenant.name}`)) as Array<{ uuid: string }>)
      .filter((d) => d.uuid === helpDesk)
      .map((d) => ({ ...d, last_message: sending }));
    expect(JSON.parse(ceilingFrames[1]!.data)).toEqual(listed[0]);
  });

  /** The bytes of files the organization keeps, as the api's storage quota counts them. */
  const storageBytes = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ bytes: string }>(
        'select storage_bytes as bytes from organizations where name = $1',
        [tenant.name],
      );
      return Number(rows[0]!.bytes);
    } finally {
      await client.end();
    }
  };

  it('takes a multipart message with a file and stores the file where the api serves it from', async () => {
    const bytesBefore = await storageBytes();
    const form = new FormData();
    form.append('help_desk', String(tenant.helpDesk.uuid));
    form.append('message', 'with a file');
    form.append('file', new Blob(['attached bytes'], { type: 'text/plain' }), 'note one.txt');
    const res = await fetch(`${ceilingUrl()}/api/send-message/`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const sent = (await res.json()) as MessageJson;
    expect(sent.file).toMatch(new RegExp(`^${ceilingUrl()}/api/files/[0-9a-f]{32}/note%20one\\.txt$`));
    const served = await fetch(sent.file!.replace(ceilingUrl(), apiUrl()), { headers: bearer(tenant.key) });
    expect(served.status).toBe(200);
    expect(await served.text()).toBe('attached bytes');
    const frames3 = await nextFrames(3);
    expect(JSON.parse(frames3[2]!.data)).toEqual(sent);
    // Counted against the organization's storage, as the api counts it.
    expect((await storageBytes()) - bytesBefore).toBe('attached bytes'.length);
  });

  it('serves the first page of the help-desk list and of a history byte for byte as the api does', async () => {
    // Two messages (the history page below asks for two), the newest with a file; their events
    // are taken off the queue, so the file's other tests see only their own.
    for (const file of [null, new Blob(['x'])]) {
      const form = new FormData();
      form.append('help_desk', String(tenant.helpDesk.uuid));
      if (file === null) form.append('message', 'before the file');
      else form.append('file', file, 'a file.bin');
      expect((await fetch(`${ceilingUrl()}/api/send-message/`, { method: 'POST', body: form })).status).toBe(201);
      await nextFrames(3);
    }
    const ceilingGet = async (path: string) => {
      const res = await fetch(`${ceilingUrl()}${path}`);
      expect(res.status).toBe(200);
      return (await res.text()).replaceAll(ceilingUrl(), 'ORIGIN');
    };
    for (const path of [
      `/api/help-desks/?organization=${tenant.name}`,
      `/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`,
      // As the api pages (issue 11): the first page of the list, the newest messages of a history.
      `/api/help-desks/?organization=${tenant.name}&limit=50`,
      `/api/help-desks/${String(tenant.helpDesk.uuid)}/history/?limit=2`,
    ]) {
      const fromApi = (await apiGet(path)).replaceAll(apiUrl(), 'ORIGIN');
      expect(fromApi).toContain('ORIGIN/api/files/');
      expect(await ceilingGet(path)).toBe(fromApi);
    }
    const history = JSON.parse(
      await ceilingGet(`/api/help-desks/${String(tenant.helpDesk.uuid)}/history/?limit=2`),
    ) as unknown[];
    expect(history).toHaveLength(2);
  });

  it('answers an unknown help desk with a 400 field error and writes nothing', async () => {
    const historyPath = `/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`;
    const before = await apiGet(historyPath);
    frames.length = 0;
    for (const helpDesk of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await fetch(`${ceilingUrl()}/api/send-message/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'nowhere', help_desk: helpDesk }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ help_desk: [`Invalid pk "${helpDesk}" - object does not exist.`] });
    }
    expect(await apiGet(historyPath)).toBe(before);
    expect(frames).toEqual([]);
  });
});
