import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-env.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest, MIGRATION_TABLE } from '../src/db/migrator.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { hostTag } from '../src/storage/upload-spool.js';
import { createOrganization } from '../../../test/organization.js';
import { listFiles, startApi, useApi, type ApiHarness } from './api-harness.js';

// Issue 13, item 8: files at rest are the owner's alone, each process spools uploads in a folder
// of its own, and an organization's files can be held under a quota. Spoken to over HTTP.

async function listen(api: ApiHarness): Promise<string> {
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** POST /api/send-message/ with a file of `bytes` bytes, as multipart. */
function sendFile(base: string, key: string, helpDesk: string, bytes: number, name = 'note.txt') {
  const form = new FormData();
  form.set('help_desk', helpDesk);
  form.set('message', 'see attached');
  form.set('file', new Blob([Buffer.alloc(bytes, 'x')], { type: 'text/plain' }), name);
  return fetch(`${base}/api/send-message/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
}

/** POST /api/receive-message/ with a file, as a channel provider posts a client's message. */
function receiveFile(base: string, key: string, phone: string, bytes: number) {
  const form = new FormData();
  form.set('client.name', 'Ana');
  form.set('client.phone', phone);
  form.set('message', 'a photo');
  form.set('file', new Blob([Buffer.alloc(bytes, 'y')], { type: 'image/png' }), 'photo.png');
  return fetch(`${base}/api/receive-message/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
}

describe('stored files and spooled uploads are readable by their owner only (item 8a)', () => {
  const api = useApi();
  let base: string;
  beforeAll(async () => {
    base = await listen(api);
  });

  it('a stored file is 0600 in 0700 folders', async () => {
    const { helpDesk } = await createOrganization(api, 'modes');
    const res = await sendFile(base, api.adminToken, helpDesk.uuid, 10);
    expect(res.status).toBe(201);
    const key = /\/api\/files\/([0-9a-f]{32})\//.exec(((await res.json()) as { file: string }).file)?.[1] ?? '';
    const stored = `${key.slice(0, 2)}/${key}`;
    expect(await listFiles(api.filesDir)).toContain(stored);
    expect(await modeOf(api.filesDir)).toBe(0o700);
    expect(await modeOf(join(api.filesDir, stored, '..'))).toBe(0o700);
    expect(await modeOf(join(api.filesDir, stored))).toBe(0o600);
  });

  it('an upload is spooled 0600 in the 0700 folder of this process, and gone once answered', async () => {
    const { helpDesk } = await createOrganization(api, 'spooled');
    const boundary = 'spooled-upload';
    const head =
      `--${boundary}\r\ncontent-disposition: form-data; name="help_desk"\r\n\r\n${helpDesk.uuid}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const size = 256 * 1024;
    const req = httpRequest(`${base}/api/send-message/`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.adminToken}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(Buffer.byteLength(head) + size + Buffer.byteLength(tail)),
      },
    });
    const answered = once(req, 'response');
    req.write(head);
    req.write(Buffer.alloc(size / 2, 'z'));
    // Half the file is in: it is being spooled, in this process's own folder.
    const spool = api.app.uploadSpoolDir;
    expect(spool.startsWith(`${api.spoolDir}/helpdesk-spool-${process.pid}-`)).toBe(true);
    await expect.poll(() => readdir(spool)).toHaveLength(1);
    const [spooled] = await readdir(spool);
    expect(await modeOf(spool)).toBe(0o700);
    expect(await modeOf(join(spool, spooled!))).toBe(0o600);
    req.end(Buffer.concat([Buffer.alloc(size / 2, 'z'), Buffer.from(tail)]));
    const [res] = (await answered) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(201);
    expect(await readdir(spool)).toEqual([]);
  });

  it('a store left world-readable by an earlier release is closed at start', async () => {
    const filesDir = await mkdtemp(join(tmpdir(), 'hd-old-store-'));
    try {
      await mkdir(join(filesDir, 'ab'), { mode: 0o755 });
      await writeFile(join(filesDir, 'ab', 'ab'.padEnd(32, '0')), 'old', { mode: 0o644 });
      await chmod(filesDir, 0o755);
      const started = await startApi({ FILES_DIR: filesDir });
      try {
        expect(await modeOf(filesDir)).toBe(0o700);
      } finally {
        await started.close();
      }
    } finally {
      await rm(filesDir, { recursive: true, force: true });
    }
  });
});

describe('each process spools into a folder of its own under UPLOAD_SPOOL_DIR (item 8b)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hd-spool-root-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** The pid of a process that ran and exited. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid!;
  }

  it('removes only what processes of this software that died on this host left; its own folder goes at stop', async () => {
    const tag = hostTag();
    const dead = await deadPid();
    const living = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const names = {
        deadOnes: `helpdesk-spool-${dead}-${tag}-AbC123`,
        living: `helpdesk-spool-${living.pid}-${tag}-AbC123`,
        otherHost: `helpdesk-spool-${dead}-${tag === '00000000' ? '11111111' : '00000000'}-AbC123`,
        aFile: `helpdesk-spool-${dead}-${tag}-File00`,
        aLink: `helpdesk-spool-${dead}-${tag}-Link00`,
        unrelated: 'not-a-spool',
      };
      for (const name of [names.deadOnes, names.living, names.otherHost, names.unrelated]) {
        await mkdir(join(root, name));
        await writeFile(join(root, name, 'upload'), 'x');
      }
      await writeFile(join(root, names.aFile), 'x');
      const elsewhere = await mkdtemp(join(tmpdir(), 'hd-spool-elsewhere-'));
      await writeFile(join(elsewhere, 'keep'), 'x');
      await symlink(elsewhere, join(root, names.aLink));

      const first = await startApi({ UPLOAD_SPOOL_DIR: root });
      const second = await startApi({ UPLOAD_SPOOL_DIR: root });
      const own = [first.app.uploadSpoolDir, second.app.uploadSpoolDir];
      try {
        const entries = (await readdir(root)).sort();
        const ownNames = own.map((dir) => dir.slice(root.length + 1));
        expect(entries).toEqual(
          [names.living, names.otherHost, names.aFile, names.aLink, names.unrelated, ...ownNames].sort(),
        );
        expect(ownNames[0]).not.toBe(ownNames[1]);
        for (const name of ownNames) {
          expect(name).toMatch(new RegExp(`^helpdesk-spool-${process.pid}-${tag}-[A-Za-z0-9]{6}$`));
          expect(await modeOf(join(root, name))).toBe(0o700);
        }
        expect((await lstat(join(root, names.aLink))).isSymbolicLink()).toBe(true);
        expect(await readdir(elsewhere)).toEqual(['keep']);
        await first.close();
        await expect(stat(own[0]!)).rejects.toMatchObject({ code: 'ENOENT' });
        expect((await stat(own[1]!)).isDirectory()).toBe(true);
      } finally {
        await first.close().catch(() => undefined);
        await second.close();
        await rm(elsewhere, { recursive: true, force: true });
      }
      await expect(stat(own[1]!)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      living.kill();
    }
  });
});

describe('MAX_STORAGE_BYTES_PER_ORGANIZATION (item 8d)', () => {
  const api = useApi({ MAX_STORAGE_BYTES_PER_ORGANIZATION: '1000' });
  let base: string;
  beforeAll(async () => {
    base = await listen(api);
  });
  const refusal = { detail: "This organization's files would exceed its storage quota of 1000 bytes." };

  const storedBytes = async (organization: string) =>
    Number(
      (
        await api.app.db
          .selectFrom('organizations')
          .select('storage_bytes')
          .where('name', '=', organization)
          .executeTakeFirstOrThrow()
      ).storage_bytes,
    );

  it('a file past the quota is a 413 that writes nothing; up to it, and text, still go', async () => {
    const { name: organization, helpDesk, key } = await createOrganization(api, 'quota');
    expect((await sendFile(base, key, helpDesk.uuid, 600)).status).toBe(201);

    const before = await api.traces();
    const over = await sendFile(base, key, helpDesk.uuid, 401);
    expect([over.status, await over.json()]).toEqual([413, refusal]);
    const inbound = await receiveFile(base, key, '5511900000001', 401);
    expect([inbound.status, await inbound.json()]).toEqual([413, refusal]);
    expect(await api.traces()).toEqual(before);
    expect(await storedBytes(organization)).toBe(600);

    const text = await fetch(`${base}/api/send-message/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ help_desk: helpDesk.uuid, message: 'no file, no quota' }),
    });
    expect(text.status).toBe(201);
    expect((await sendFile(base, key, helpDesk.uuid, 300)).status).toBe(201);
    expect((await receiveFile(base, key, '5511900000001', 100)).status).toBe(201);
    expect(await storedBytes(organization)).toBe(1000);
    expect((await sendFile(base, key, helpDesk.uuid, 1)).status).toBe(413);

    // The quota is each organization's own.
    const other = await createOrganization(api, 'quota-other');
    expect((await sendFile(base, api.adminToken, other.helpDesk.uuid, 1000)).status).toBe(201);
  });

  it('concurrent uploads, sent and received, never take an organization past it', async () => {
    const { name: organization, helpDesk, key } = await createOrganization(api, 'quota-race');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? sendFile(base, key, helpDesk.uuid, 300) : receiveFile(base, key, `55119000001${i}`, 300),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([201, 201, 201, ...Array<number>(9).fill(413)]);
    expect(await storedBytes(organization)).toBe(900);
    const kept = await api.app.db
      .selectFrom('messages')
      .innerJoin('organizations', 'organizations.id', 'messages.organization_id')
      .select('messages.file_key')
      .where('organizations.name', '=', organization)
      .execute();
    expect(kept).toHaveLength(3);
    const stored = await listFiles(api.filesDir);
    for (const { file_key } of kept) expect(stored).toContain(`${file_key!.slice(0, 2)}/${file_key}`);
    expect((await api.traces()).spoolFiles).toEqual([]);
  });

  it('counts the files stored before the upgrade that added it', async () => {
    const db = await openDatabase(
      { kind: 'postgres', url: await createTestDatabase(), poolSize: 2, preparedStatements: false },
      'UTC',
    );
    try {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: 'schema_migrations_lock',
      });
      // Back to the schema just before the migration that added the counter (later ones undone too).
      const down = await migrator.migrateTo('2026-12-05T2300-help-desk-status-activity-index');
      expect(down.results?.at(-1)).toMatchObject({
        migrationName: '2026-12-06T0200-organization-storage-bytes',
        direction: 'Down',
        status: 'Success',
      });
      const statements = [
        sql`insert into organizations (uuid, name) values (gen_random_uuid(), 'a'), (gen_random_uuid(), 'b'), (gen_random_uuid(), 'c')`,
        sql`insert into clients (uuid, organization_id, name, phone) select gen_random_uuid(), id, 'Ana', '1' from organizations`,
        sql`insert into help_desks (uuid, organization_id, client_id) select gen_random_uuid(), organization_id, id from clients`,
        sql`insert into messages (uuid, organization_id, help_desk_id, message, file_key, file_name, file_content_type, file_size, type, status)
            select gen_random_uuid(), h.organization_id, h.id, 'x', md5(random()::text), 'f', 'text/plain', s.size, 'sent', 'sent'
            from help_desks h join organizations o on o.id = h.organization_id
            join (values ('a', 100), ('a', 250), ('b', 7)) s (name, size) on s.name = o.name`,
        sql`insert into messages (uuid, organization_id, help_desk_id, message, type, status)
            select gen_random_uuid(), organization_id, id, 'text only', 'sent', 'sent' from help_desks`,
      ];
      for (const statement of statements) await statement.execute(db);
      await migrateToLatest(db);
      const rows = await db.selectFrom('organizations').select(['name', 'storage_bytes']).orderBy('name').execute();
      expect(rows.map((r) => [r.name, Number(r.storage_bytes)])).toEqual([
        ['a', 350],
        ['b', 7],
        ['c', 0],
      ]);
    } finally {
      await db.destroy();
    }
  });
});
