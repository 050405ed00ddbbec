import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api-error.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { createClient } from './client.js';
import type { NetworkStatus, WebSocketLike } from './platform.js';
import type { AnyLiveEvent, ConnectionState, Subscription } from './subscription.js';

/** A WebSocket double: the test plays the server (open, frames, close). */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  closedByClient: { code?: number; reason?: string } | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }

  static last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (socket === undefined) throw new Error('no socket was opened');
    return socket;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  event(type: string, data: object, id?: number): void {
    this.onmessage?.({
      data: JSON.stringify({ type, data: JSON.stringify(data), ...(id === undefined ? {} : { id }) }),
    });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }
}

const message = (text: string) => ({
  created_at: '2026-12-05T10:00:00.000000+00:00',
  updated_at: '2026-12-05T10:00:00.000000+00:00',
  uuid: `uuid-${text}`,
  message: text,
  file: null,
  type: 'sent',
  status: 'sent',
  help_desk: 'desk',
});

class FakeNetwork implements NetworkStatus {
  online = true;
  private readonly listeners = new Map<string, Set<() => void>>();
  isOnline = () => this.online;
  addEventListener(type: string, listener: () => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: () => void) {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: 'online' | 'offline') {
    this.online = type === 'online';
    for (const listener of this.listeners.get(type) ?? []) listener();
  }
  count(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

let tickets: Array<string | Error>;
let ticketRequests: number;
let network: FakeNetwork;
let randoms: number[];

function subscribe(lastEventId?: number): {
  sub: Subscription;
  states: ConnectionState[];
  events: AnyLiveEvent[];
  errors: Error[];
} {
  const client = createClient({
    baseUrl: 'https://chat.example.com',
    apiKey: 'hdk_secret',
    WebSocket: FakeSocket,
    network,
    random: () => randoms.shift() ?? 0.5,
    fetch: () => Promise.reject(new Error('no REST in this test')),
  });
  const sub = client.subscribe('acme', {
    lastEventId,
    getTicket: (organization) => {
      ticketRequests += 1;
      const next = tickets.shift() ?? `ticket-${organization}-${ticketRequests}`;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  });
  const states: ConnectionState[] = [];
  const events: AnyLiveEvent[] = [];
  const errors: Error[] = [];
  sub.on('state', (state) => states.push(state));
  for (const type of ['new_message', 'update_message', 'update_helpdesk'] as const) sub.on(type, (e) => events.push(e));
  sub.on('error', (error) => errors.push(error));
  return { sub, states, events, errors };
}

/** Lets the ticket promise settle and the next socket be created. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  tickets = [];
  ticketRequests = 0;
  network = new FakeNetwork();
  randoms = [];
});
afterEach(() => vi.useRealTimers());

describe('backoffDelay', () => {
  it('draws between the floor and a ceiling that doubles per attempt, never past the maximum', () => {
    const bounds = (attempt: number) => [0, 1].map((r) => backoffDelay(attempt, DEFAULT_BACKOFF, () => r));
    expect([0, 1, 2, 3, 4, 5, 6, 10, 50].map(bounds)).toEqual([
      [500, 1000],
      [500, 2000],
      [500, 4000],
      [500, 8000],
      [500, 16000],
      [500, 20000],
      [500, 20000],
      [500, 20000],
      [500, 20000],
    ]);
    // Jittered: 1,000 clients at their 5th attempt spread over the whole range.
    const delays = Array.from({ length: 1000 }, () => backoffDelay(5, DEFAULT_BACKOFF, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20_000);
    expect(new Set(delays.map((d) => Math.floor(d / 2000))).size).toBe(10);
  });
});

describe('Subscription', () => {
  it('offers the ticket as the subprotocol pair, never the key in the URL, and delivers typed events', async () => {
    const { sub, states, events } = subscribe();
    await settle();
    const socket = FakeSocket.last();
    expect(socket.url).toBe('wss://chat.example.com/ws/chat/acme/');
    expect(socket.protocols).toEqual(['helpdesk-ticket', 'ticket-acme-1']);
    socket.open();
    socket.event('new_message', message('hi'), 1);
    socket.event('update_helpdesk', { uuid: 'desk', last_message: message('hi') }, 2);
    expect(events).toEqual([
      { type: 'new_message', id: 1, data: message('hi') },
      { type: 'update_helpdesk', id: 2, data: { uuid: 'desk', last_message: message('hi') } },
    ]);
    expect(states).toEqual([{ type: 'connecting', attempt: 0 }, { type: 'connected' }]);
    expect(sub.lastEventId).toBe(2);
  });

  it('reconnects after a lost socket with a jittered delay and resumes after the last delivered id', async () => {
    randoms = [0.25];
    const { states, events } = subscribe();
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().event('new_message', message('a'), 7);
    FakeSocket.last().serverClose(1006);
    expect(states.at(-1)).toEqual({ type: 'disconnected', code: 1006, reason: '', retryInMs: 625 });
    await vi.advanceTimersByTimeAsync(624);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last().url).toBe('wss://chat.example.com/ws/chat/acme/?last_event_id=7');
    expect(FakeSocket.last().protocols).toEqual(['helpdesk-ticket', 'ticket-acme-2']);
    FakeSocket.last().open();
    // A replay that overlaps what was delivered: nothing twice.
    FakeSocket.last().event('new_message', message('a'), 7);
    FakeSocket.last().event('update_message', message('a'), 8);
    expect(events.map((e) => e.id)).toEqual([7, 8]);
  });

  it('backs off longer while the server stays away, and resets once a socket opens', async () => {
    randoms = [1, 1, 1, 1];
    const { states } = subscribe();
    await settle();
    for (let i = 0; i < 4; i += 1) {
      FakeSocket.last().serverClose(1006);
      const state = states.at(-1);
      await vi.advanceTimersByTimeAsync(state?.type === 'disconnected' ? (state.retryInMs ?? 0) : 0);
    }
    const delays = states.flatMap((s) => (s.type === 'disconnected' ? [s.retryInMs] : []));
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    FakeSocket.last().open();
    FakeSocket.last().serverClose(1006);
    expect(states.at(-1)).toMatchObject({ type: 'disconnected', retryInMs: 500 + 0.5 * 500 });
  });

  it('comes back at once after 1012 (a draining gateway)', async () => {
    const { states } = subscribe(3);
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().serverClose(1012, 'Service restart');
    expect(states.at(-1)).toEqual({ type: 'disconnected', code: 1012, reason: 'Service restart', retryInMs: 0 });
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last().url).toContain('?last_event_id=3');
  });

  it('treats an id gap as a lost connection: drops the socket, keeps the frame back, resumes', async () => {
    const { events } = subscribe();
    await settle();
    const first = FakeSocket.last();
    first.open();
    first.event('new_message', message('a'), 1);
    first.event('update_helpdesk', { uuid: 'desk' }, 4);
    expect(events.map((e) => e.id)).toEqual([1]);
    expect(first.closedByClient).toEqual({ code: 1000, reason: 'event ids skipped' });
    // Frames the old socket still had in flight are not delivered.
    first.event('update_message', message('a'), 2);
    await settle();
    const second = FakeSocket.last();
    expect(second.url).toContain('?last_event_id=1');
    second.open();
    for (const id of [2, 3, 4]) second.event('update_message', message('a'), id);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
  });

  it('reports resync, then takes the next id as it comes', async () => {
    const { sub, events } = subscribe(2);
    const resyncs: unknown[] = [];
    sub.on('resync', (r) => resyncs.push(r));
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().onmessage?.({ data: JSON.stringify({ type: 'resync', data: '{"last_event_id":2}' }) });
    FakeSocket.last().event('new_message', message('new'), 40);
    expect(resyncs).toEqual([{ lastEventId: 2 }]);
    expect(events.map((e) => e.id)).toEqual([40]);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('stops for good on 4001 and says why; no retry follows', async () => {
    const { states } = subscribe();
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().serverClose(4001, 'API key revoked');
    expect(states.at(-1)).toEqual({ type: 'closed', reason: 'key-revoked', code: 4001, detail: 'API key revoked' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(ticketRequests).toBe(1);
    expect(network.count()).toBe(0);
  });

  it('stops for good when the ticket is refused with 401; retries other ticket failures', async () => {
    tickets = [new Error('fetch failed'), new ApiError(401, { detail: 'Invalid API key.' })];
    const { states, errors } = subscribe();
    await settle();
    expect(states.at(-1)).toMatchObject({ type: 'disconnected', code: undefined, reason: 'fetch failed' });
    expect(errors.map((e) => e.message)).toEqual(['could not get a socket ticket']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(states.at(-1)).toEqual({
      type: 'closed',
      reason: 'unauthorized',
      code: undefined,
      detail: 'Invalid API key.',
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ticketRequests).toBe(2);
    expect(FakeSocket.all).toHaveLength(0);
  });

  it('a getTicket callback that throws is a failed attempt, retried', async () => {
    const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k', WebSocket: FakeSocket, network });
    let calls = 0;
    const sub = client.subscribe('acme', {
      getTicket: () => {
        calls += 1;
        if (calls === 1) throw new Error('no session');
        return Promise.resolve('t');
      },
    });
    const errors: Error[] = [];
    sub.on('error', (error) => errors.push(error));
    await settle();
    expect(sub.state).toMatchObject({ type: 'disconnected', reason: 'no session' });
    expect(errors.map((e) => (e.cause as Error).message)).toEqual(['no session']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.last().protocols).toEqual(['helpdesk-ticket', 't']);
    sub.close();
  });

  it('close() during a pending retry stops it', async () => {
    const { sub, states } = subscribe();
    await settle();
    FakeSocket.last().serverClose(1006);
    expect(states.at(-1)?.type).toBe('disconnected');
    sub.close();
    expect(states.at(-1)).toEqual({ type: 'closed', reason: 'closed', code: undefined, detail: 'closed by the app' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives up on a connect that hangs (ticket or socket) after connectTimeoutMs, and retries', async () => {
    const { states } = subscribe();
    await settle();
    await vi.advanceTimersByTimeAsync(14_999);
    expect(states.at(-1)).toEqual({ type: 'connecting', attempt: 0 });
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.last().closedByClient).toEqual({ code: 1000, reason: 'connect timed out' });
    expect(states.at(-1)).toMatchObject({ type: 'disconnected', code: undefined, reason: 'connect timed out' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last().open();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(states.at(-1)).toEqual({ type: 'connected' });
  });

  it('close() while the ticket is on its way opens no socket', async () => {
    const { sub } = subscribe();
    sub.close();
    await settle();
    expect(FakeSocket.all).toHaveLength(0);
  });

  it('a throwing listener is reported on error and the next listener still gets the event', async () => {
    const { sub, events, errors } = subscribe();
    const boom = new Error('listener bug');
    sub.on('new_message', () => {
      throw boom;
    });
    const after: number[] = [];
    sub.on('new_message', (e) => after.push(e.id ?? -1));
    sub.on('error', () => {
      throw new Error('an error listener that throws too');
    });
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().event('new_message', message('a'), 1);
    FakeSocket.last().event('new_message', message('b'), 2);
    expect(events.map((e) => e.id)).toEqual([1, 2]);
    expect(after).toEqual([1, 2]);
    expect(errors.map((e) => [e.message, e.cause])).toEqual([
      ['a listener of new_message threw', boom],
      ['a listener of new_message threw', boom],
    ]);
  });

  it('follows offline and online: drops the socket when offline, reconnects at once when online', async () => {
    const { states } = subscribe();
    await settle();
    FakeSocket.last().open();
    FakeSocket.last().event('new_message', message('a'), 5);
    network.fire('offline');
    expect(FakeSocket.last().closedByClient).toEqual({ code: 1000, reason: 'offline' });
    expect(states.at(-1)).toEqual({ type: 'disconnected', code: undefined, reason: 'offline', retryInMs: undefined });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    network.fire('online');
    await settle();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.last().url).toContain('?last_event_id=5');
  });
});
