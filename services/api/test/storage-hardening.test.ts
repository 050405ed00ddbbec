import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag } from '../src/storage/upload-spool.js';
import { createConversation, listFiles, startApi, useApi, type ApiHarness } from './api-harness.js';

// Issue 13, item 8: files at rest are the owner's alone, each process spools uploads in a folder
// of its own. Spoken to over HTTP.

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

describe('stored files and spooled uploads are readable by their owner only (item 8a)', () => {
  const api = useApi();
  let base: string;
  beforeAll(async () => {
    base = await listen(api);
  });

  it('a stored file is 0600 in 0700 folders', async () => {
    const { helpDesk } = await createConversation(api.app, 'modes');
    const res = await sendFile(base, api.adminToken, helpDesk.uuid, 10);
    expect(res.status).toBe(201);
    const [stored, ...others] = await listFiles(api.filesDir);
    expect(others).toEqual([]);
    expect(await modeOf(api.filesDir)).toBe(0o700);
    expect(await modeOf(join(api.filesDir, stored!, '..'))).toBe(0o700);
    expect(await modeOf(join(api.filesDir, stored!))).toBe(0o600);
  });

  it('an upload is spooled 0600 in the 0700 folder of this process, and gone once answered', async () => {
    const { helpDesk } = await createConversation(api.app, 'spooled');
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
