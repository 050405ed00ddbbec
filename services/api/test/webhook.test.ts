import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../src/delivery/webhook-signature.js';
import { pendingDeliveries } from '../src/db/webhook.repository.js';
import { createOrganization } from '../../../test/organization.js';
import { asKey, startApi, type ApiHarness } from './api-harness.js';

// Issue 4, item 4: a `sent` message of an organization with a webhook is POSTed there, signed,
// retried with backoff, and settled `sent` (2xx) or `failed` (after the last attempt), each an
// update_message. The webhook is a server of the test's own.

const SECRET = 'a webhook secret of the test';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver that answers each request with the next status in `statuses` (the last repeats). */
class Receiver {
  readonly requests: Received[] = [];
  statuses: number[] = [200];
  /** Never answer (a hung receiver), until closed. */
  hang = false;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body, at: Date.now() });
        if (this.hang) return;
        const status = this.statuses[Math.min(this.requests.length - 1, this.statuses.length - 1)]!;
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => this.server!.once('listening', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

let api: ApiHarness;
const receivers: Receiver[] = [];
const env = {
  // The receivers are this test's own servers, on 127.0.0.1.
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_MAX_ATTEMPTS: '3',
  WEBHOOK_RETRY_BASE_MS: '40',
  WEBHOOK_POLL_INTERVAL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '300',
};
beforeAll(async () => {
  api = await startApi(env);
});
afterAll(async () => {
  await api?.close();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function startReceiver(statuses: number[]): Promise<{ receiver: Receiver; url: string }> {
  const receiver = new Receiver();
  receiver.statuses = statuses;
  receivers.push(receiver);
  return { receiver, url: await receiver.start() };
}

async function conversationWithWebhook(url: string) {
  const conversation = await createOrganization(api, 'hook');
  const res = await api.app.inject({
    method: 'PUT',
    url: `/api/organizations/${conversation.name}/webhook/`,
    payload: { url, secret: SECRET },
  });
  expect(res.statusCode).toBe(200);
  return conversation;
}

async function send(helpDesk: string, message = 'olá') {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload: { message, help_desk: helpDesk },
  });
  expect(res.statusCode).toBe(201);
  return res.json<Record<string, unknown> & { uuid: string }>();
}

async function statusOf(helpDesk: string): Promise<unknown> {
  const history = await api.app.inject({ url: `/api/help-desks/${helpDesk}/history/` });
  return history.json<Array<{ status: string }>>()[0]?.status;
}

async function updateMessageFrames(organization: string) {
  const { events } = await api.traces();
  return events
    .filter(([channel]) => channel === `${api.prefix}org:${organization}`)
    .map(([, payload]) => JSON.parse(payload) as { type: string; data: string; id: number });
}

describe('delivery webhook', () => {
  it('posts a signed message, retries after failures, and marks it sent on a 2xx', async () => {
    const { receiver, url } = await startReceiver([500, 503, 200]);
    const { name: organization, client, helpDesk } = await conversationWithWebhook(url);
    const message = await send(helpDesk.uuid);
    expect(message.status).toBe('sending');

    await expect.poll(() => statusOf(helpDesk.uuid)).toBe('sent');
    expect(receiver.requests).toHaveLength(3);
    const now = Math.floor(Date.now() / 1000);
    for (const request of receiver.requests) {
      const signature = String(request.headers['x-helpdesk-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifySignature(SECRET, request.body, signature, now)).toBe(true);
      expect(verifySignature('another secret', request.body, signature, now)).toBe(false);
      expect(verifySignature(SECRET, request.body.replace('olá', 'ola'), signature, now)).toBe(false);
      // A replay later than the tolerance is refused by a receiver that checks the timestamp.
      expect(verifySignature(SECRET, request.body, signature, now + 3600)).toBe(false);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-helpdesk-message']).toBe(message.uuid);
      expect(JSON.parse(request.body)).toEqual({ organization, client, message });
    }
    // Backoff: each wait is at least half the doubled base (40 ms, then 80 ms).
    const [first, second, third] = receiver.requests.map((r) => r.at);
    expect(second! - first!).toBeGreaterThanOrEqual(15);
    expect(third! - second!).toBeGreaterThanOrEqual(35);

    const frames = await updateMessageFrames(organization);
    expect(frames.map((f) => f.type)).toEqual(['new_message', 'update_helpdesk', 'update_message']);
    expect(JSON.parse(frames[2]!.data)).toMatchObject({ uuid: message.uuid, status: 'sent' });
    expect(await pendingDeliveries(api.app.db)).toBe(0);
  });

  it('marks the message failed after the last attempt (errors, and a receiver that never answers)', async () => {
    const { receiver, url } = await startReceiver([500]);
    const { name: organization, helpDesk } = await conversationWithWebhook(url);
    const message = await send(helpDesk.uuid);
    await expect.poll(() => statusOf(helpDesk.uuid)).toBe('failed');
    expect(receiver.requests).toHaveLength(3);
    const frames = await updateMessageFrames(organization);
    expect(frames.map((f) => [f.type, f.id])).toEqual([
      ['new_message', 1],
      ['update_helpdesk', 2],
      ['update_message', 3],
    ]);
    expect(JSON.parse(frames[2]!.data)).toMatchObject({ uuid: message.uuid, status: 'failed' });

    // A receiver that never answers: each attempt times out (WEBHOOK_TIMEOUT_MS).
    const { receiver: hung, url: hungUrl } = await startReceiver([200]);
    hung.hang = true;
    await api.app.inject({
      method: 'PUT',
      url: `/api/organizations/${organization}/webhook/`,
      payload: { url: hungUrl, secret: SECRET },
    });
    await send(helpDesk.uuid, 'again');
    const statuses = async () =>
      (await api.app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/` }))
        .json<Array<{ status: string }>>()
        .map((m) => m.status);
    await expect.poll(statuses, { timeout: 5000 }).toEqual(['failed', 'failed']);
    expect(hung.requests).toHaveLength(3);
  });

  it('never moves a message back: a status callback before the 2xx wins', async () => {
    const { receiver, url } = await startReceiver([500, 200]);
    const { helpDesk } = await conversationWithWebhook(url);
    const message = await send(helpDesk.uuid);
    const delivered = await api.app.inject({
      method: 'PATCH',
      url: `/api/messages/${message.uuid}/`,
      payload: { status: 'delivered' },
    });
    expect(delivered.statusCode).toBe(200);
    await expect.poll(() => receiver.requests.length).toBe(2);
    await expect.poll(() => pendingDeliveries(api.app.db)).toBe(0);
    expect(await statusOf(helpDesk.uuid)).toBe('delivered');
  });

  it('survives a restart: the pending delivery lives in Postgres', async () => {
    const { receiver, url } = await startReceiver([503]);
    const { helpDesk } = await conversationWithWebhook(url);
    // Long waits between attempts: the first fails, then this api goes away.
    const slow = await startApi({ ...env, DATABASE_URL: api.databaseUrl, WEBHOOK_RETRY_BASE_MS: '600000' });
    try {
      const message = await slow.app.inject({
        method: 'POST',
        url: '/api/send-message/',
        payload: { message: 'x', help_desk: helpDesk.uuid },
      });
      expect(message.statusCode).toBe(201);
      await expect.poll(() => receiver.requests.length).toBeGreaterThanOrEqual(1);
    } finally {
      await slow.close();
    }
    expect(await pendingDeliveries(api.app.db)).toBe(1);
    // A new worker finds the delivery when it comes due (here: made due now) and settles it.
    receiver.statuses = [200];
    await api.app.db.updateTable('webhook_deliveries').set({ next_attempt_at: '2000-01-01T00:00:00Z' }).execute();
    api.app.deliveries.nudge();
    await expect.poll(() => statusOf(helpDesk.uuid)).toBe('sent');
  });
});

describe('PUT/GET/DELETE /api/organizations/<name>/webhook/', () => {
  it("is an administrator's, never answers the secret, and refuses bad input", async () => {
    const { name: organization, key } = await createOrganization(api, 'admin');
    const path = `/api/organizations/${organization}/webhook/`;
    expect((await api.app.inject({ url: path })).statusCode).toBe(404);
    const set = await api.app.inject({
      method: 'PUT',
      url: path,
      payload: { url: 'https://example.com/h', secret: SECRET },
    });
    expect(set.statusCode).toBe(200);
    expect(Object.keys(set.json())).toEqual(['url', 'created_at', 'updated_at']);
    expect(set.body).not.toContain(SECRET);
    expect((await api.app.inject({ url: path })).json()).toMatchObject({ url: 'https://example.com/h' });

    expect((await api.app.inject({ url: path, headers: asKey(key) })).statusCode).toBe(403);
    const bad = await api.app.inject({ method: 'PUT', url: path, payload: { url: 'ftp://x', secret: 'short' } });
    expect(bad.json()).toEqual({ secret: ['Ensure this field has at least 16 characters.'] });
    const badUrl = await api.app.inject({ method: 'PUT', url: path, payload: { url: 'ftp://x', secret: SECRET } });
    expect(badUrl.json()).toEqual({ url: ['Enter a valid URL.'] });
    expect((await api.app.inject({ method: 'DELETE', url: path })).statusCode).toBe(204);
    expect((await api.app.inject({ method: 'DELETE', url: path })).statusCode).toBe(404);
  });
});

describe('webhooks to loopback, link-local and private addresses (issue 13, item 8)', () => {
  // The default: WEBHOOK_ALLOW_PRIVATE unset. Spoken to over HTTP, as an administrator would.
  let guarded: ApiHarness;
  let base: string;
  const { WEBHOOK_ALLOW_PRIVATE: _allowed, ...guardedEnv } = env;

  beforeAll(async () => {
    // Two attempts a second apart: long enough to read the first one's error.
    guarded = await startApi({ ...guardedEnv, WEBHOOK_MAX_ATTEMPTS: '2', WEBHOOK_RETRY_BASE_MS: '1000' });
    await guarded.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(guarded.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await guarded?.close();
  });

  const admin = () => ({ authorization: `Bearer ${guarded.adminToken}`, 'content-type': 'application/json' });
  const putWebhook = (organization: string, url: string) =>
    fetch(`${base}/api/organizations/${organization}/webhook/`, {
      method: 'PUT',
      headers: admin(),
      body: JSON.stringify({ url, secret: SECRET }),
    });

  it('are refused when set (400 on url), and nothing is set; public ones are accepted', async () => {
    const { name: organization } = await createOrganization(guarded, 'ssrf');
    const refused = {
      'http://127.0.0.1:9/hook': '127.0.0.1 is a loopback address',
      'http://2130706433/hook': '127.0.0.1 is a loopback address',
      'http://[::1]/hook': '::1 is a loopback address',
      'http://[::ffff:127.0.0.1]/hook': '::ffff:7f00:1 is a loopback address',
      'http://0.0.0.0:8000/': '0.0.0.0 is an unspecified address',
      'http://169.254.169.254/latest/meta-data/': '169.254.169.254 is a link-local address',
      'http://10.1.2.3/hook': '10.1.2.3 is a private address',
      'http://172.16.5.4/hook': '172.16.5.4 is a private address',
      'https://192.168.0.10/hook': '192.168.0.10 is a private address',
      'http://[fd12::1]/hook': 'fd12::1 is a private (unique local) address',
      'http://[fe80::1]/hook': 'fe80::1 is a link-local address',
      'http://100.64.0.1/hook': '100.64.0.1 is a shared (carrier-grade NAT) address',
    };
    for (const [url, why] of Object.entries(refused)) {
      const res = await putWebhook(organization, url);
      expect([url, res.status, await res.json()]).toEqual([
        url,
        400,
        { url: [`${why}; webhooks only go to public addresses.`] },
      ]);
    }
    // A name is judged by what it resolves to.
    const named = await putWebhook(organization, 'http://localhost:3000/hook');
    expect(named.status).toBe(400);
    expect(await named.json()).toEqual({
      url: [
        expect.stringMatching(
          /^localhost resolves to (127\.0\.0\.1|::1), a loopback address; webhooks only go to public addresses\.$/,
        ),
      ],
    });
    const nothing = await fetch(`${base}/api/organizations/${organization}/webhook/`, { headers: admin() });
    expect(nothing.status).toBe(404);

    // A public address, and a name that does not resolve (yet): each delivery checks it again.
    for (const url of ['http://93.184.215.14/hook', 'https://hooks.invalid/hook']) {
      expect([url, (await putWebhook(organization, url)).status]).toEqual([url, 200]);
    }
  });

  it('are not delivered to when the name resolves to one at delivery time (DNS rebinding), nor as a literal', async () => {
    const { receiver, url } = await startReceiver([200]);
    const port = new URL(url).port;
    for (const target of [`http://localhost:${port}/hook`, `http://127.0.0.1:${port}/hook`]) {
      const { name: organization, helpDesk } = await createOrganization(guarded, 'rebind');
      expect((await putWebhook(organization, 'https://hooks.invalid/hook')).status).toBe(200);
      // Since it was set, the name has come to point at the api's own host.
      await guarded.app.db.updateTable('organization_webhooks').set({ url: target }).execute();
      const sent = await fetch(`${base}/api/send-message/`, {
        method: 'POST',
        headers: admin(),
        body: JSON.stringify({ help_desk: helpDesk.uuid, message: 'olá' }),
      });
      expect(sent.status).toBe(201);
      const lastError = async () =>
        (await guarded.app.db.selectFrom('webhook_deliveries').select('last_error').executeTakeFirst())?.last_error;
      await expect
        .poll(lastError)
        .toMatch(
          /^(localhost resolves to (127\.0\.0\.1|::1), a|127\.0\.0\.1 is a) loopback address; webhooks only go to public addresses$/,
        );
      const history = async () =>
        (await guarded.app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/` })).json<
          Array<{ status: string }>
        >();
      await expect.poll(async () => (await history())[0]?.status).toBe('failed');
      expect(receiver.requests).toEqual([]);
    }
  });
});
