import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { encodeEnvelope, issueTicket, type EventBus, type MessageJson } from '@helpdesk/shared';
import { pino } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import { redisPrefix } from '../../../test/test-env.js';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/gateway.js';
import type { ProxyTarget } from '../src/http-proxy.js';

export const silentLogger = pino({ level: 'silent' });

/** The SECRET_KEY of test gateways; the api would sign tickets with the same value. */
export const TEST_SECRET_KEY = 'gateway-tests-only-secret-key-0123456789';

/** Defaults as in production, on an ephemeral loopback port, with a prefix of its own. */
export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    ...loadGatewayConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_PREFIX: redisPrefix(),
      LOG_LEVEL: 'silent',
      SECRET_KEY: TEST_SECRET_KEY,
    }),
    ...overrides,
  };
}

export interface TicketOptions {
  /** Negative for a ticket that expired already. */
  ttlSeconds?: number;
  /** When the ticket is issued. */
  nowMs?: number;
  secret?: string;
}

/** A socket ticket as the api would issue it (POST /api/ws-tickets/). */
export function ticketFor(organization: string, options: TicketOptions = {}): string {
  const { ttlSeconds = 60, nowMs = Date.now(), secret = TEST_SECRET_KEY } = options;
  return issueTicket(secret, organization, ttlSeconds, nowMs).token;
}

export interface TestGateway {
  gateway: RunningGateway;
  config: GatewayConfig;
  http(path: string): string;
  ws(path: string): string;
  /** `/ws/chat/<organization>/?token=<ticket>`, with a fresh valid ticket unless one is given. */
  chat(organization: string, options?: { trailingSlash?: boolean; token?: string }): string;
}

export interface TestGatewayOptions {
  proxyHttpTo?: ProxyTarget;
  now?: () => number;
}

/** Starts a gateway; the test closes it. */
export async function startTestGateway(
  bus: EventBus,
  overrides: Partial<GatewayConfig> = {},
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const config = testConfig(overrides);
  const gateway = await startGateway({ config, bus, logger: silentLogger, ...options });
  const ws = (path: string): string => `ws://127.0.0.1:${gateway.port}${path}`;
  return {
    gateway,
    config,
    http: (path) => `http://127.0.0.1:${gateway.port}${path}`,
    ws,
    chat: (organization, { trailingSlash = true, token } = {}) =>
      ws(`/ws/chat/${organization}${trailingSlash ? '/' : ''}?token=${token ?? ticketFor(organization)}`),
  };
}

export interface Frame {
  data: Buffer;
  isBinary: boolean;
}

export interface Closed {
  code: number;
  reason: string;
}

/** A ws client that records every frame and how it closed. */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => this.frames.push({ data, isBinary }));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static connect(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, protocols, options);
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`socket refused with ${response.statusCode}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  async waitForFrames(count: number, timeoutMs = 5000): Promise<Frame[]> {
    await waitFor(() => this.frames.length >= count, `${count} frames (have ${this.frames.length})`, timeoutMs);
    return this.frames;
  }

  close(): Promise<Closed> {
    this.socket.close(1000);
    return this.closed;
  }
}

export interface Refusal {
  status: number;
  contentType: string | undefined;
  body: string;
  headers: IncomingHttpHeaders;
}

/** Tries to open a socket that the gateway must refuse before the upgrade. */
export function refusedUpgrade(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<Refusal> {
  const socket = new WebSocket(url, protocols, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error(`expected ${url} to be refused, but it opened`));
    });
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          body: Buffer.concat(chunks).toString(),
          headers: response.headers,
        });
        socket.terminate();
      });
    });
  });
}

/** Polls until the condition holds; for states that settle asynchronously (Redis replies). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let messageCounter = 0;

/** A real envelope, as the api encodes it, with non-ASCII text to prove bytes pass untouched. */
export function sampleEnvelope(text = 'Olá, tudo bem? ✓'): string {
  messageCounter += 1;
  const message: MessageJson = {
    created_at: '2021-06-15T11:57:16.420655-03:00',
    updated_at: '2021-06-15T11:57:19.582823-03:00',
    uuid: `6f2c0000-0000-4000-8000-${String(messageCounter).padStart(12, '0')}`,
    message: text,
    file: null,
    type: 'sent',
    status: 'sent',
    help_desk: '9b1e0000-0000-4000-8000-000000000001',
  };
  return encodeEnvelope('new_message', message);
}
