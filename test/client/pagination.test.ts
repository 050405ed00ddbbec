import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HelpDesk, type HelpdeskClient, type Message } from '../../packages/client/src/index.js';
import { E2E_ADMIN_TOKEN, E2E_SECRET_KEY } from '../e2e/contract-scenario.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import {
  createClient as createClientOf,
  createHelpDesk,
  createOrganization,
  type TestOrganization,
} from '../organization.js';
import { createTestDatabase, redisPrefix, testEnv } from '../test-env.js';

/** Runs `task` for 0..count-1, `width` at a time. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

// Walking every page of long lists through the client, while the lists change under the walk.
describe('@helpdesk/client pages through long lists (api process on Postgres)', () => {
  let api: ServiceProcess;
  let filesDir: string;
  let tenant: TestOrganization;
  let client: HelpdeskClient;
  const base = () => `http://127.0.0.1:${api.port}`;

  beforeAll(async () => {
    filesDir = await mkdtemp(join(tmpdir(), 'hd-client-pages-'));
    api = await startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
      REDIS_URL: testEnv().redisUrl,
      REDIS_PREFIX: redisPrefix(),
      SECRET_KEY: E2E_SECRET_KEY,
      DATABASE_URL: await createTestDatabase(),
      ADMIN_TOKEN: E2E_ADMIN_TOKEN,
      FILES_DIR: filesDir,
      // Thousands of writes from one address in a few seconds: a test, not an abuse.
      RATE_LIMIT_MAX: '0',
    });
    tenant = await createOrganization({ baseUrl: base(), adminToken: E2E_ADMIN_TOKEN }, 'pages');
    client = createClient({ baseUrl: base(), apiKey: tenant.key });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    if (filesDir) await rm(filesDir, { recursive: true, force: true });
  });

  it('walks a 1,000-message history page by page, each message once, while new ones arrive', async () => {
    const desk = String(tenant.helpDesk.uuid);
    await inParallel(1000, 8, (i) => client.sendMessage({ helpDesk: desk, message: `m${i}` }));
    const [everything = []] = await collect(client.history(desk));
    expect(everything).toHaveLength(1000);

    const pages: Message[][] = [];
    for await (const page of client.history(desk, { limit: 100 })) {
      pages.push(page);
      // Newer messages arrive during the walk: they are after where the walk started.
      if (pages.length % 3 === 1) await client.sendMessage({ helpDesk: desk, message: `during ${pages.length}` });
    }
    expect(pages.map((page) => page.length)).toEqual(Array(10).fill(100));
    // Newest page first, each page oldest first: together, the history as it was when the walk began.
    expect(pages.reverse().flat()).toEqual(everything);
  }, 120_000);

  it('walks 500 help desks by recent activity, each once, while messages move some to the top', async () => {
    const other = await createOrganization({ baseUrl: base(), adminToken: E2E_ADMIN_TOKEN }, 'desks');
    const desks = createClient({ baseUrl: base(), apiKey: other.key });
    const created = [String(other.helpDesk.uuid)];
    const api = { baseUrl: base(), adminToken: E2E_ADMIN_TOKEN };
    await inParallel(499, 8, async (i) => {
      const person = await createClientOf(api, other.name, { name: `c${i}`, phone: `55${i}` }, other.key);
      created.push((await createHelpDesk(api, other.name, person.uuid, other.key)).uuid);
    });

    const walked: string[] = [];
    const movedUnseen = new Set<string>();
    let pageCount = 0;
    for await (const page of desks.helpDesks(other.name, { limit: 50 })) {
      pageCount += 1;
      walked.push(...page.map((helpDesk: HelpDesk) => helpDesk.uuid));
      // One already walked and one not yet walked get a message: both move to the top of the list.
      const seen = walked[walked.length - 7]!;
      const unseen = created.find((uuid) => !walked.includes(uuid) && !movedUnseen.has(uuid));
      await desks.sendMessage({ helpDesk: seen, message: 'seen moves up' });
      if (unseen !== undefined) {
        movedUnseen.add(unseen);
        await desks.sendMessage({ helpDesk: unseen, message: 'unseen moves up' });
      }
    }
    expect(pageCount).toBeGreaterThanOrEqual(9);
    // Nothing twice; what the walk missed is exactly what moved above it (its update_helpdesk tells the app).
    expect(new Set(walked).size).toBe(walked.length);
    expect([...walked, ...movedUnseen].sort()).toEqual([...created].sort());
  }, 120_000);

  it('walks every page behind a proxy that mounts the api under a path (Link targets resolve under baseUrl)', async () => {
    const other = await createOrganization({ baseUrl: base(), adminToken: E2E_ADMIN_TOKEN }, 'mounted');
    const proxy = await startMountingProxy('/helpdesk', api.port);
    try {
      const mounted = createClient({ baseUrl: proxy.url, apiKey: other.key });
      const desk = String(other.helpDesk.uuid);
      for (let i = 0; i < 25; i += 1) await mounted.sendMessage({ helpDesk: desk, message: `m${i}` });

      const pages = await collect(mounted.history(desk, { limit: 10 }));
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(
        pages
          .reverse()
          .flat()
          .map((message) => message.message),
      ).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`));
      const deskPages = await collect(mounted.helpDesks(other.name, { limit: 1 }));
      expect(deskPages.flat().map((helpDesk) => helpDesk.uuid)).toEqual([desk]);
      // Nothing left the mount: every page, the first and the linked ones, went through /helpdesk/.
      expect(proxy.strays).toEqual([]);
    } finally {
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  }, 60_000);
});

/**
 * A reverse proxy that mounts the api under `mount` (as an ingress with a path prefix does):
 * requests under it go to the api with the prefix stripped; any other path is a 404, recorded.
 */
async function startMountingProxy(
  mount: string,
  apiPort: number,
): Promise<{ server: Server; url: string; strays: string[] }> {
  const strays: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${mount}/`)) {
      strays.push(url);
      res.writeHead(404).end();
      return;
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: apiPort, method: req.method, path: url.slice(mount.length), headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${mount}`, strays };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}
