import { once } from 'node:events';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createClient, HelpdeskClient, SubscriptionEvents } from '../../packages/client/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { freePort } from '../redis-server.js';
import { createOrganization, type TestOrganization } from '../organization.js';

/** What the page keeps on window: the package's entry, the client, and what its subscription emitted. */
interface PageWindow {
  helpdesk: { createClient: typeof createClient };
  client: HelpdeskClient;
  log: Array<
    {
      [K in keyof SubscriptionEvents]: [K, K extends 'error' ? string : SubscriptionEvents[K]];
    }[keyof SubscriptionEvents]
  >;
}

const ENTRY = join(REPO_ROOT, 'services/standalone/dist/main.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The page an app would be: it loads the built package (and openapi-fetch) as ES modules. */
const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "openapi-fetch": "/openapi-fetch.js" } }</script>
<script type="module">
  import { createClient } from '/client.js';
  window.helpdesk = { createClient };
  document.title = 'ready';
</script>`;

// @helpdesk/client in Chromium, against the embedded server on another origin (CORS), with the
// browser's own fetch, WebSocket (ticket as a subprotocol), File uploads and online/offline events.
describe('@helpdesk/client in a browser', () => {
  let dataDir: string;
  let server: ServiceProcess;
  let pages: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tenant: TestOrganization;
  let apiBase: string;

  beforeAll(async () => {
    const files: Record<string, string> = {
      '/': PAGE,
      '/client.js': await readFile(join(REPO_ROOT, 'packages/client/dist/index.js'), 'utf8'),
      '/openapi-fetch.js': await readFile(
        join(await realpath(join(REPO_ROOT, 'packages/client/node_modules/openapi-fetch')), 'dist/index.mjs'),
        'utf8',
      ),
    };
    pages = createServer((req, res) => {
      const body = files[req.url ?? ''];
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': req.url === '/' ? 'text/html' : 'text/javascript' }).end(body);
    });
    pages.listen(0, '127.0.0.1');
    await once(pages, 'listening');
    const pageOrigin = `http://127.0.0.1:${(pages.address() as { port: number }).port}`;

    dataDir = await mkdtemp(join(tmpdir(), 'hd-client-browser-'));
    const port = await freePort();
    apiBase = `http://127.0.0.1:${port}`;
    server = await startService(
      ENTRY,
      { DATA_DIR: dataDir, PORT: String(port), CORS_ORIGINS: pageOrigin },
      60_000,
      /is up/,
    );
    const adminToken = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(dataDir, '.env'), 'utf8'))?.[1] ?? '';
    tenant = await createOrganization({ baseUrl: apiBase, adminToken }, 'browser');

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction(
      () => (globalThis as unknown as { document: { title: string } }).document.title === 'ready',
    );
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    pages?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('subscribes, sends a File, receives the typed events; follows offline and online without losing one', async () => {
    await page.evaluate(
      ({ baseUrl, apiKey, organization }) => {
        const w = globalThis as unknown as PageWindow;
        w.client = w.helpdesk.createClient({ baseUrl, apiKey });
        w.log = [];
        const sub = w.client.subscribe(organization);
        sub.on('new_message', (e) => w.log.push(['new_message', e]));
        sub.on('update_helpdesk', (e) => w.log.push(['update_helpdesk', e]));
        sub.on('update_message', (e) => w.log.push(['update_message', e]));
        sub.on('resync', (r) => w.log.push(['resync', r]));
        sub.on('state', (state) => w.log.push(['state', state]));
        sub.on('error', (error) => w.log.push(['error', String(error)]));
      },
      { baseUrl: apiBase, apiKey: tenant.key, organization: tenant.name },
    );
    const log = () => page.evaluate(() => (globalThis as unknown as PageWindow).log);
    const events = async (): Promise<Array<[string, number | undefined, string | undefined]>> =>
      (await log()).flatMap(([name, value]): Array<[string, number | undefined, string | undefined]> =>
        name === 'new_message' || name === 'update_message'
          ? [[name, value.id, value.data.uuid]]
          : name === 'update_helpdesk'
            ? [[name, value.id, value.data.last_message?.uuid]]
            : [],
      );
    const stateTypes = async () => (await log()).flatMap(([name, value]) => (name === 'state' ? [value.type] : []));
    await expect.poll(stateTypes, { timeout: 15_000 }).toContain('connected');

    const sent = await page.evaluate(
      (helpDesk) =>
        (globalThis as unknown as PageWindow).client.sendMessage({
          helpDesk,
          message: 'from the browser',
          file: new File(['hello from a browser'], 'note.txt', { type: 'text/plain' }),
        }),
      String(tenant.helpDesk.uuid),
    );
    expect(sent).toMatchObject({ message: 'from the browser', type: 'sent', status: 'sent' });
    expect(sent.file).toMatch(/\/api\/files\/.+\/note\.txt$/);
    await expect.poll(async () => (await events()).length).toBe(3);
    expect(await events()).toEqual([
      ['new_message', 1, sent.uuid],
      ['update_helpdesk', 2, sent.uuid],
      ['update_message', 3, sent.uuid],
    ]);

    // The browser goes offline: the subscription drops its socket and waits; messages go on meanwhile.
    await context.setOffline(true);
    await expect
      .poll(async () => (await log()).at(-1))
      .toEqual(['state', { type: 'disconnected', code: undefined, reason: 'offline', retryInMs: undefined }]);
    for (const message of ['while offline 1', 'while offline 2']) {
      const answer = await fetch(`${apiBase}/api/send-message/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ help_desk: tenant.helpDesk.uuid, message }),
      });
      expect(answer.status).toBe(201);
    }
    await context.setOffline(false);
    await expect.poll(async () => (await events()).length, { timeout: 15_000 }).toBe(9);
    expect((await events()).map(([, id]) => id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await log()).filter(([name]) => name === 'resync' || name === 'error')).toEqual([]);
    expect(await stateTypes()).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  }, 60_000);
});
