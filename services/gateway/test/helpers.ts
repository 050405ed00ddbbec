import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingHttpHeaders } from 'node:http';
import {
  encodeEnvelope,
  issueTicket,
  type BusMessageHandler,
  type EventBus,
  type EventHistory,
  type EventPublisher,
  type EventSubscriber,
  type HistoryRead,
  type MessageJson,
  CHAT_SOCKET_PATH_PREFIX,
  LAST_EVENT_ID_PARAM,
} from '@helpdesk/shared';
import { pino } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import { redisPrefix } from '../../../test/test-env.js';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../src/gateway.js';

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
  /** The uuid of the API key the ticket is issued to. */
  keyId?: string;
}

/** A socket ticket as the api would issue it (POST /api/ws-tickets/). */
export function ticketFor(organization: string, options: TicketOptions = {}): string {
  const { ttlSeconds = 60, nowMs = Date.now(), secret = TEST_SECRET_KEY, keyId } = options;
  return issueTicket(secret, organization, ttlSeconds, nowMs, keyId).token;
}

export interface TestGateway {
  gateway: RunningGateway;
  config: GatewayConfig;
  http(path: string): string;
  ws(path: string): string;
  /**
   * `/ws/chat/<organization>/?token=<ticket>`, with a fresh valid ticket unless one is given, and
   * `&last_event_id=<id>` when one is given.
   */
  chat(organization: string, options?: ChatUrlOptions): string;
}

export interface ChatUrlOptions {
  trailingSlash?: boolean;
  token?: string;
  lastEventId?: number | string;
}

export type TestGatewayOptions = Pick<GatewayOptions, 'now' | 'metricsRegistry'>;

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
    chat: (organization, { trailingSlash = true, token, lastEventId } = {}) =>
      ws(
        `${CHAT_SOCKET_PATH_PREFIX}${organization}${trailingSlash ? '/' : ''}?token=${token ?? ticketFor(organization)}` +
          (lastEventId === undefined ? '' : `&${LAST_EVENT_ID_PARAM}=${lastEventId}`),
      ),
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

function sampleMessage(text: string): MessageJson {
  messageCounter += 1;
  return {
    created_at: '2021-06-15T11:57:16.420655-03:00',
    updated_at: '2021-06-15T11:57:19.582823-03:00',
    uuid: `6f2c0000-0000-4000-8000-${String(messageCounter).padStart(12, '0')}`,
    message: text,
    file: null,
    type: 'sent',
    status: 'sent',
    help_desk: '9b1e0000-0000-4000-8000-000000000001',
  };
}

/** A real envelope, as the api encodes it, with non-ASCII text to prove bytes pass untouched. */
export function sampleEnvelope(text = 'Olá, tudo bem? ✓'): string {
  return encodeEnvelope('new_message', sampleMessage(text));
}

/** An envelope with its organization's event id, as the api's relay publishes it. */
export function envelopeWithId(id: number, text = `mensagem ${id} ✓`): string {
  return encodeEnvelope('new_message', sampleMessage(text), id);
}

/** Event ids `from`..`to`. */
export function idRange(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** One channel's numbered events, the same bytes each time an id is asked for. */
export class SequencedEvents {
  private readonly payloads = new Map<number, string>();

  constructor(readonly channel: string) {}

  payload(id: number): string {
    let payload = this.payloads.get(id);
    if (payload === undefined) this.payloads.set(id, (payload = envelopeWithId(id)));
    return payload;
  }

  payloadsOf(from: number, to: number): string[] {
    return idRange(from, to).map((id) => this.payload(id));
  }

  /** Events `from`..`to` in one relay batch, as the api's relay publishes them: history, then live. */
  publish(publisher: EventPublisher, from: number, to = from): Promise<void> {
    return publisher.publishSequenced(
      idRange(from, to).map((id) => ({ channel: this.channel, id, payload: this.payload(id) })),
    );
  }
}

/** The same bus, with reconnecting sockets' history reads going to `history` instead. */
export function withHistory(bus: EventBus, history: EventHistory): EventBus {
  return {
    publisher: () => bus.publisher(),
    subscriber: (onMessage) => bus.subscriber(onMessage),
    history: () => history,
    keyRevocations: (channel) => bus.keyRevocations(channel),
    close: () => bus.close(),
  };
}

interface HeldRead {
  channel: string;
  afterId: number;
  limit: number;
}

/**
 * A history whose answers the test lets through: each read goes to the real history at once
 * (`readFirst`) or only when released, and its answer is held until release(). Between the two,
 * the test publishes live events, to put them on either side of what the read saw. With
 * `afterId`, only reads after that id are held (a reconnecting socket's), and others pass through
 * uncounted (an organization's first socket may read what the bus missed while it subscribed).
 */
export class HeldHistory implements EventHistory {
  /** Reads asked for. */
  readonly reads: HeldRead[] = [];
  /** Reads the real history answered (with readFirst, before they are released). */
  answered = 0;
  private released = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly history: EventHistory,
    private readonly options: { readFirst: boolean; afterId?: number },
  ) {}

  async since(channel: string, afterId: number, limit: number): Promise<HistoryRead> {
    if (this.options.afterId !== undefined && afterId !== this.options.afterId) {
      return this.history.since(channel, afterId, limit);
    }
    this.reads.push({ channel, afterId, limit });
    let read: HistoryRead | undefined;
    if (this.options.readFirst) {
      read = await this.history.since(channel, afterId, limit);
      this.answered += 1;
    }
    if (!this.released) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (read) return read;
    read = await this.history.since(channel, afterId, limit);
    this.answered += 1;
    return read;
  }

  latestId(channel: string): Promise<number | undefined> {
    return this.history.latestId(channel);
  }

  release(): void {
    this.released = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/**
 * The same bus, with its organizations' SUBSCRIBEs held until release() (or failed by fail()): the
 * window in which an organization's first socket is open but its subscription not confirmed.
 * Later SUBSCRIBEs go through at once.
 */
export class HeldSubscriptions implements EventBus {
  /** Organization SUBSCRIBEs asked for so far. */
  pending = 0;
  private settle: (outcome: Error | undefined) => void = () => undefined;
  private readonly held = new Promise<void>((resolve, reject) => {
    this.settle = (outcome) => (outcome ? reject(outcome) : resolve());
  });

  constructor(readonly inner: EventBus) {
    // Nobody may be waiting when fail() is called.
    this.held.catch(() => undefined);
  }

  release(): void {
    this.settle(undefined);
  }

  fail(error = new Error('ERR the test refused this SUBSCRIBE')): void {
    this.settle(error);
  }

  publisher() {
    return this.inner.publisher();
  }
  history() {
    return this.inner.history();
  }
  keyRevocations(channel: string) {
    return this.inner.keyRevocations(channel);
  }
  subscriber(onMessage: BusMessageHandler): EventSubscriber {
    const inner = this.inner.subscriber(onMessage);
    return {
      ...inner,
      subscribe: async (channel) => {
        if (channel.includes(':org:')) {
          this.pending += 1;
          await this.held;
        }
        await inner.subscribe(channel);
      },
    };
  }
  close() {
    return this.inner.close();
  }
}
