import {
  CLOSE_CODES,
  EVENT_TYPES,
  LAST_EVENT_ID_PARAM,
  RESYNC_EVENT_TYPE,
  TICKET_PROTOCOL,
  chatSocketPath,
  type EventPayloads,
  type EventType,
} from '@helpdesk/shared/client-contract';
import { ApiError } from './api-error.js';
import { apiUrl } from './api-url.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import type { NetworkStatus, Timers, WebSocketClass, WebSocketLike } from './platform.js';

/** One of the organization's events, `data` parsed, with its id (the organization's sequence). */
export interface LiveEvent<T extends EventType = EventType> {
  type: T;
  /** Undefined only from a server too old to number its events. */
  id: number | undefined;
  data: EventPayloads[T];
}

/** Any one of the three events, discriminated by `type`. */
export type AnyLiveEvent = { [T in EventType]: LiveEvent<T> }[EventType];

/** Why a subscription stopped for good. */
export type ClosedReason =
  /** `close()` was called. */
  | 'closed'
  /** The API key was revoked while a socket was open (close code 4001). */
  | 'key-revoked'
  /** The ticket was refused with 401: the key is revoked or unknown. */
  | 'unauthorized'
  /** The ticket was refused for good otherwise (403, 404: say, an organization that does not exist). */
  | 'refused';

/** The connection's state machine: connecting → connected → disconnected → connecting …, or closed. */
export type ConnectionState =
  | { type: 'connecting'; attempt: number }
  | { type: 'connected' }
  | {
      type: 'disconnected';
      /** The socket's close code, or undefined when no socket was open (the ticket request failed). */
      code: number | undefined;
      reason: string;
      /** When the next attempt starts (ms), or undefined while it waits for the network to come back. */
      retryInMs: number | undefined;
    }
  | { type: 'closed'; reason: ClosedReason; code: number | undefined; detail: string };

export interface SubscriptionEvents {
  new_message: LiveEvent<'new_message'>;
  update_message: LiveEvent<'update_message'>;
  update_helpdesk: LiveEvent<'update_helpdesk'>;
  /**
   * The server no longer has the events after `lastEventId`: refetch your state over REST. Live
   * events follow.
   */
  resync: { lastEventId: number | undefined };
  state: ConnectionState;
  /** A listener threw, a frame could not be read, or a ticket request failed (it retries). */
  error: Error;
}

export interface SubscriptionOptions {
  /** Resume after this event id (the last one your app handled). */
  lastEventId?: number;
  /** Where tickets come from; defaults to `POST /api/ws-tickets/` with the client's key. */
  getTicket?: (organization: string) => Promise<string>;
}

export interface SubscriptionDeps {
  socketBaseUrl: string;
  organization: string;
  getTicket: (organization: string) => Promise<string>;
  WebSocket: WebSocketClass;
  timers: Timers;
  random: () => number;
  backoff: BackoffOptions;
  /** How long a ticket request and the socket's opening may take together before it retries. */
  connectTimeoutMs: number;
  network: NetworkStatus | undefined;
  lastEventId: number | undefined;
}

const OPEN = 1;
/** A normal closure code a client may send (RFC 6455 §7.4.1) when it drops a socket itself. */
const CLIENT_CLOSE = 1000;
const GAP_REASON = 'event ids skipped';
const OFFLINE_REASON = 'offline';
const CONNECT_TIMEOUT_REASON = 'connect timed out';

/**
 * An organization's live events over `/ws/chat/<organization>/`, resumed across reconnects from
 * the last id it delivered, so every event is delivered once and in id order. One explicit state
 * machine (`state`); every transition goes through `enter`.
 */
export class Subscription {
  private readonly emitter: Emitter<SubscriptionEvents>;
  private current: ConnectionState = { type: 'connecting', attempt: 0 };
  private lastId: number | undefined;
  /** After a resync the next id may jump: the app refetched what came before it. */
  private afterResync = false;
  /** Whether a socket ever opened: a reconnect then resumes even before any event came. */
  private everConnected = false;
  /** Consecutive attempts that did not reach an open socket: the backoff exponent. */
  private failures = 0;
  /** Bumped per connection attempt: callbacks of an older socket or ticket request are ignored. */
  private generation = 0;
  private socket: WebSocketLike | undefined;
  /** The one pending timer: the connect deadline while connecting, the retry while disconnected. */
  private timer: unknown;
  private readonly onOnline = () => this.networkCameBack();
  private readonly onOffline = () => this.networkWentAway();

  constructor(private readonly deps: SubscriptionDeps) {
    this.lastId = deps.lastEventId;
    this.emitter = new Emitter((error, event) => {
      // An error listener that throws is not reported again: that would loop.
      if (event !== 'error') this.reportError(new Error(`a listener of ${event} threw`, { cause: error }));
    });
    deps.network?.addEventListener('online', this.onOnline);
    deps.network?.addEventListener('offline', this.onOffline);
    // Listeners are added right after subscribe() returns; the first attempt starts after them.
    queueMicrotask(() => this.connect());
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The id of the last event delivered (where a reconnect resumes). */
  get lastEventId(): number | undefined {
    return this.lastId;
  }

  on<K extends keyof SubscriptionEvents>(name: K, listener: (value: SubscriptionEvents[K]) => unknown): () => void {
    return this.emitter.on(name, listener);
  }

  off<K extends keyof SubscriptionEvents>(name: K, listener: (value: SubscriptionEvents[K]) => unknown): void {
    this.emitter.off(name, listener);
  }

  /** Stops for good: no more events, no reconnect. */
  close(): void {
    this.stop('closed', undefined, 'closed by the app');
  }

  private enter(state: ConnectionState): void {
    this.current = state;
    this.emitter.emit('state', state);
  }

  private connect(): void {
    if (this.current.type === 'closed') return;
    const generation = ++this.generation;
    this.enter({ type: 'connecting', attempt: this.failures });
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      if (generation !== this.generation) return;
      this.dropSocket(CONNECT_TIMEOUT_REASON);
      this.retry(undefined, CONNECT_TIMEOUT_REASON, false);
    }, this.deps.connectTimeoutMs);
    // Through a promise, so that a getTicket callback that throws is a failed attempt like any other.
    Promise.resolve(this.deps.organization)
      .then(this.deps.getTicket)
      .then(
        (ticket) => {
          if (generation === this.generation) this.open(ticket, generation);
        },
        (error: unknown) => {
          if (generation !== this.generation) return;
          if (error instanceof ApiError && error.status === 401) {
            this.stop('unauthorized', undefined, error.detail ?? 'the API key was refused');
          } else if (error instanceof ApiError && [403, 404].includes(error.status)) {
            this.stop('refused', undefined, error.detail ?? `the ticket request answered ${error.status}`);
          } else {
            this.reportError(new Error('could not get a socket ticket', { cause: error }));
            this.retry(undefined, error instanceof Error ? error.message : String(error), false);
          }
        },
      );
  }

  private open(ticket: string, generation: number): void {
    const url = apiUrl(this.deps.socketBaseUrl, chatSocketPath(this.deps.organization));
    // Having seen no event yet, a reconnect asks for everything the server keeps (0) rather than
    // lose what happened while it was away; the app tells those events apart by their uuid.
    const resumeFrom = this.lastId ?? (this.everConnected ? 0 : undefined);
    if (resumeFrom !== undefined) url.searchParams.set(LAST_EVENT_ID_PARAM, String(resumeFrom));
    // The ticket travels as a subprotocol (the way a browser can), never in the URL.
    const socket = new this.deps.WebSocket(url.toString(), [TICKET_PROTOCOL, ticket]);
    this.socket = socket;
    socket.onopen = () => {
      if (generation !== this.generation) return;
      this.cancelTimer();
      this.failures = 0;
      this.everConnected = true;
      this.enter({ type: 'connected' });
    };
    socket.onmessage = (event) => {
      if (generation === this.generation && socket.readyState === OPEN) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (generation !== this.generation) return;
      this.socket = undefined;
      this.closed(event.code, event.reason);
    };
    // A close event always follows an error; it carries what the app can act on.
    socket.onerror = () => undefined;
  }

  private closed(code: number, reason: string): void {
    const wasConnected = this.current.type === 'connected';
    if (code === CLOSE_CODES.keyRevoked) {
      this.stop('key-revoked', code, reason);
      return;
    }
    // A draining gateway (1012) asks its clients to come back at once, to another replica.
    this.retry(code, reason, wasConnected && code === CLOSE_CODES.serviceRestart);
  }

  private receive(raw: unknown): void {
    let frame: { type?: unknown; data?: unknown; id?: unknown };
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : String(raw)) as typeof frame;
    } catch (error) {
      this.reportError(new Error('a socket frame is not JSON', { cause: error }));
      return;
    }
    const id = typeof frame.id === 'number' ? frame.id : undefined;
    if (frame.type === RESYNC_EVENT_TYPE) {
      this.afterResync = true;
      this.emitter.emit('resync', { lastEventId: this.lastId });
      return;
    }
    if (!isEventType(frame.type) || typeof frame.data !== 'string') return;
    if (id !== undefined && this.lastId !== undefined && !this.afterResync) {
      if (id <= this.lastId) return;
      if (id > this.lastId + 1) {
        // Events were skipped on the way (a gateway that lost its Redis, say): drop this socket
        // and resume from the last delivered id, which replays the gap or starts with a resync.
        this.dropSocket(GAP_REASON);
        this.retry(CLIENT_CLOSE, GAP_REASON, true);
        return;
      }
    }
    let data: unknown;
    try {
      data = JSON.parse(frame.data);
    } catch (error) {
      this.reportError(new Error(`the data of a ${frame.type} frame is not JSON`, { cause: error }));
      return;
    }
    if (id !== undefined) {
      this.lastId = id;
      this.afterResync = false;
    }
    this.emitter.emit(frame.type, { type: frame.type, id, data } as never);
  }

  /** disconnected, then connecting again after a backoff (or at once), unless the network is away. */
  private retry(code: number | undefined, reason: string, immediately: boolean): void {
    this.generation += 1;
    this.cancelTimer();
    if (this.deps.network?.isOnline() === false) {
      this.enter({ type: 'disconnected', code, reason, retryInMs: undefined });
      return;
    }
    const delay = immediately ? 0 : backoffDelay(this.failures, this.deps.backoff, this.deps.random);
    if (!immediately) this.failures += 1;
    this.enter({ type: 'disconnected', code, reason, retryInMs: delay });
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  private networkWentAway(): void {
    if (this.current.type === 'closed') return;
    // A socket on a lost network can take minutes to notice; the browser knows now.
    this.cancelTimer();
    this.dropSocket(OFFLINE_REASON);
    this.generation += 1;
    this.enter({ type: 'disconnected', code: undefined, reason: OFFLINE_REASON, retryInMs: undefined });
  }

  private networkCameBack(): void {
    if (this.current.type !== 'disconnected') return;
    this.cancelTimer();
    this.failures = 0;
    this.connect();
  }

  private stop(reason: ClosedReason, code: number | undefined, detail: string): void {
    if (this.current.type === 'closed') return;
    this.generation += 1;
    this.cancelTimer();
    this.dropSocket('closed by the client');
    this.deps.network?.removeEventListener('online', this.onOnline);
    this.deps.network?.removeEventListener('offline', this.onOffline);
    this.enter({ type: 'closed', reason, code, detail });
  }

  private dropSocket(reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    try {
      socket.close(CLIENT_CLOSE, reason);
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is dropped anyway.
    }
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private reportError(error: Error): void {
    this.emitter.emit('error', error);
  }
}

function isEventType(type: unknown): type is EventType {
  return (EVENT_TYPES as readonly unknown[]).includes(type);
}
