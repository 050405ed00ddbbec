import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  issueTicket,
  CHAT_SOCKET_PATH_PREFIX,
  chatSocketPath,
  TICKET_PROTOCOL,
} from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { post } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { expectNoSecretsLogged } from '../logs.js';
import { createTestDatabase, redisPrefix, testEnv } from '../test-env.js';
import { RecordingSocket, refusedUpgrade, type UpgradeRefusal } from '../ws-client.js';

// Socket tickets (issue 3, item 4) against the gateway as deployed: its own process, verifying
// with the shared SECRET_KEY what a separate api process signed. Every bad ticket is refused
// before the upgrade, in the query and in Sec-WebSocket-Protocol alike.

const SECRET_KEY = randomBytes(32).toString('base64url');
const ADMIN_TOKEN = randomBytes(32).toString('base64url');
// The api's shortest ticket lifetime, so one test can watch a ticket it used expire.
const TTL_SECONDS = 5;

const MISSING = {
  status: 401,
  challenge: 'Ticket realm="helpdesk-chat"',
  body: { detail: 'Authentication credentials were not provided.' },
};
const INVALID = {
  status: 401,
  challenge: 'Ticket realm="helpdesk-chat"',
  body: { detail: 'Invalid or expired ticket.' },
};
const OTHER_ORGANIZATION = {
  status: 403,
  challenge: undefined,
  body: { detail: 'This ticket is for another organization.' },
};

let api: ServiceProcess;
let gateway: ServiceProcess;
let filesDir: string;
let httpBase: string;
let wsBase: string;
let a: TestOrganization;
let b: TestOrganization;

beforeAll(async () => {
  filesDir = await mkdtemp(join(tmpdir(), 'hd-e2e-tickets-'));
  const shared = { REDIS_URL: testEnv().redisUrl, REDIS_PREFIX: redisPrefix(), SECRET_KEY };
  [api, gateway] = await Promise.all([
    startService(join(REPO_ROOT, 'services/api/dist/main.js'), {
      ...shared,
      DATABASE_URL: await createTestDatabase(),
      ADMIN_TOKEN,
      FILES_DIR: filesDir,
      WS_TICKET_TTL_SECONDS: String(TTL_SECONDS),
    }),
    startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), shared),
  ]);
  httpBase = `http://127.0.0.1:${api.port}`;
  wsBase = `ws://127.0.0.1:${gateway.port}`;
  [a, b] = await Promise.all([
    createOrganization({ baseUrl: httpBase, adminToken: ADMIN_TOKEN }, 'tk-a'),
    createOrganization({ baseUrl: httpBase, adminToken: ADMIN_TOKEN }, 'tk-b'),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), gateway?.stop()]);
  if (filesDir) await rm(filesDir, { recursive: true, force: true });
  // After every test, in whatever order they ran, and once both processes exited (every line
  // they wrote is read): no ticket, good or forged, nor a secret, is in their logs.
  expectNoSecretsLogged(
    [...api.output, ...gateway.output],
    [SECRET_KEY, ADMIN_TOKEN, 'hdk_', 'token=', 'eyJ'],
    '/api/ws-tickets/',
  );
});

/** A ticket from the api, as a client gets one, with its expiry. */
async function ticketFor(tenant: TestOrganization): Promise<{ token: string; expiresAt: number }> {
  const answer = await post(httpBase, '/api/ws-tickets/', { organization: tenant.name }, tenant.key);
  return { token: String(answer.token), expiresAt: Date.parse(String(answer.expires_at)) };
}

/** The two ways a client presents a ticket. */
const PRESENTATIONS = {
  query: (organization: string, token: string) => ({
    url: `${wsBase}${chatSocketPath(organization)}?token=${encodeURIComponent(token)}`,
    protocols: [] as string[],
  }),
  protocol: (organization: string, token: string) => ({
    url: `${wsBase}${chatSocketPath(organization)}`,
    protocols: [TICKET_PROTOCOL, token],
  }),
};

/** The gateway's answer to an upgrade it must refuse; fails if the socket opens. */
function refusal({ url, protocols }: { url: string; protocols: string[] }): Promise<UpgradeRefusal> {
  return refusedUpgrade(url, protocols);
}

/** Replaces the character at `index` with another of the base64url alphabet. */
function flip(text: string, index: number): string {
  const i = index < 0 ? text.length + index : index;
  const replacement = text[i] === 'A' ? 'B' : 'A';
  return `${text.slice(0, i)}${replacement}${text.slice(i + 1)}`;
}

function parts(token: string): { body: string; signature: string } {
  const [body, signature] = token.split('.');
  return { body: body!, signature: signature! };
}

function encodeClaims(claims: object): string {
  return Buffer.from(JSON.stringify(claims)).toString('base64url');
}

describe('socket tickets at a gateway process', () => {
  it('opens a socket with a valid ticket from the api, in the query or in Sec-WebSocket-Protocol', async () => {
    const inQuery = await RecordingSocket.open(PRESENTATIONS.query(a.name, (await ticketFor(a)).token).url);
    const { url, protocols } = PRESENTATIONS.protocol(a.name, (await ticketFor(a)).token);
    const inProtocol = await RecordingSocket.open(url, protocols);
    // A client that offers the ticket alone gets it selected back.
    const alone = (await ticketFor(a)).token;
    const onlyTicket = await RecordingSocket.open(`${wsBase}${CHAT_SOCKET_PATH_PREFIX}${a.name}`, [alone]);
    try {
      expect(inQuery.ws.protocol).toBe('');
      expect(inProtocol.ws.protocol).toBe(TICKET_PROTOCOL);
      expect(onlyTicket.ws.protocol).toBe(alone);
      // Really the organization's socket: its events arrive.
      await post(httpBase, '/api/send-message/', { message: 'hello', help_desk: a.helpDesk.uuid }, a.key);
      for (const socket of [inQuery, inProtocol, onlyTicket]) {
        const [first] = await socket.waitForFrames(1);
        expect(JSON.parse(first!)).toMatchObject({ type: 'new_message' });
      }
    } finally {
      for (const socket of [inQuery, inProtocol, onlyTicket]) socket.close();
    }
  });

  it('refuses a socket without a ticket: 401 before the upgrade', async () => {
    for (const attempt of [
      { url: `${wsBase}${chatSocketPath(a.name)}`, protocols: [] },
      { url: `${wsBase}${chatSocketPath(a.name)}?token=`, protocols: [] },
      { url: `${wsBase}${chatSocketPath(a.name)}`, protocols: [TICKET_PROTOCOL] },
    ]) {
      expect({ ...attempt, answer: await refusal(attempt) }).toEqual({ ...attempt, answer: MISSING });
    }
  });

  it('refuses tampered tickets: 401 before the upgrade, in the query or the protocol', async () => {
    const { token } = await ticketFor(a);
    const { body, signature } = parts(token);
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { org: string; exp: number };
    const forged: Record<string, string> = {
      'a character of the signature changed': `${body}.${flip(signature, 10)}`,
      'the last character of the signature changed': `${body}.${flip(signature, -1)}`,
      'a character of the claims changed': `${flip(body, 5)}.${signature}`,
      'claims rewritten to live longer': `${encodeClaims({ ...claims, exp: claims.exp + 3600 })}.${signature}`,
      'signed with another secret': issueTicket(randomBytes(32).toString('base64url'), a.name, 60).token,
      'no signature': `${body}.`,
      'signature alone': signature,
      'two signatures': `${token}.${signature}`,
    };
    for (const [how, forgery] of Object.entries(forged)) {
      for (const [where, present] of Object.entries(PRESENTATIONS)) {
        expect({ how, where, answer: await refusal(present(a.name, forgery)) }).toEqual({
          how,
          where,
          answer: INVALID,
        });
      }
    }
    // The untouched ticket still opens: the refusals above were the tampering's doing.
    (await RecordingSocket.open(PRESENTATIONS.query(a.name, token).url)).close();
  });

  it("refuses another organization's ticket (403), and one rewritten to name this organization (401)", async () => {
    const { token } = await ticketFor(b);
    const { body, signature } = parts(token);
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { org: string };
    const renamed = `${encodeClaims({ ...claims, org: a.name })}.${signature}`;
    for (const [where, present] of Object.entries(PRESENTATIONS)) {
      expect({ where, answer: await refusal(present(a.name, token)) }).toEqual({ where, answer: OTHER_ORGANIZATION });
      expect({ where, answer: await refusal(present(a.name, renamed)) }).toEqual({ where, answer: INVALID });
    }
  });

  it('refuses an expired ticket: 401 before the upgrade, whether or not the gateway saw it valid', async () => {
    // Signed with the shared secret, expired a minute ago: never seen by the gateway.
    const stale = issueTicket(SECRET_KEY, a.name, 60, Date.now() - 120_000).token;
    for (const [where, present] of Object.entries(PRESENTATIONS)) {
      expect({ where, answer: await refusal(present(a.name, stale)) }).toEqual({ where, answer: INVALID });
    }

    // From the api (a 5 s lifetime here), used while valid, then presented again once expired.
    const { token, expiresAt } = await ticketFor(a);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    const opened = await RecordingSocket.open(PRESENTATIONS.query(a.name, token).url);
    opened.close();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 200));
    for (const [where, present] of Object.entries(PRESENTATIONS)) {
      expect({ where, answer: await refusal(present(a.name, token)) }).toEqual({ where, answer: INVALID });
    }
  }, 20_000);

  it('takes the query ticket over the protocol one: a bad query ticket is refused beside a good protocol one', async () => {
    const { token } = await ticketFor(a);
    const attempt = {
      url: `${wsBase}${chatSocketPath(a.name)}?token=${flip(token, -1)}`,
      protocols: [TICKET_PROTOCOL, token],
    };
    expect(await refusal(attempt)).toEqual(INVALID);
  });
});
