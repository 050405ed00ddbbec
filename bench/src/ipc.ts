// Messages between the orchestrator (main.ts) and its child processes, sent over the fork IPC
// channel with structured-clone serialization (typed arrays cross as they are).

import type { HistogramData } from './histogram.js';
import type { DeliveryCounts } from './delivery.js';
import type { SocketAuth } from './socket-auth.js';

// ---- socket workers ----

export interface SocketAssignment {
  /** ws://host:port of the target instance. */
  baseUrl: string;
  org: number;
  /** Loopback source address, or undefined for the default. */
  localAddress: string | undefined;
}

/** raw: the bench's own minimal client (raw-client.ts); ws: the ws package. */
export type ClientKind = 'raw' | 'ws';

export type ToSocketWorker =
  | {
      cmd: 'connect';
      client: ClientKind;
      /** How the sockets get their tickets (socket-auth.ts). */
      auth: SocketAuth;
      orgNames: string[];
      sockets: SocketAssignment[];
      concurrency: number;
      handshakeTimeoutMs: number;
      types: number;
    }
  | { cmd: 'status' }
  /** `expected[org][type]` is the bitmap (bytes) of sequence numbers published. */
  | { cmd: 'settle'; expected: Uint8Array[][]; drainMs: number }
  | { cmd: 'close' };

export interface ConnectReport {
  ev: 'connected';
  opened: number;
  failed: number;
  /** Error messages and how often each happened. */
  errors: Record<string, number>;
  /** Milliseconds from the first handshake's start to the last one's end. */
  elapsedMs: number;
  /** Handshake times, in microseconds. */
  handshake: HistogramData;
}

export interface StatusReport {
  ev: 'status';
  open: number;
  /** Sockets the server closed (or that failed) after they were open. */
  droppedAfterOpen: number;
  closeCodes: Record<string, number>;
  frames: number;
}

export interface SettleReport {
  ev: 'settled';
  delivery: DeliveryCounts;
  /** Frames whose marker could not be read (not ours, or mangled). */
  unreadable: number;
  /** Latency per event type (index into EVENT_TYPES), measured phase only, microseconds. */
  latency: HistogramData[];
  /** Frames of the measured phase received, and the first and last time one arrived (µs, monotonic). */
  measuredFrames: number;
  firstMeasuredAt: number;
  lastMeasuredAt: number;
  drainedMs: number;
  complete: boolean;
  status: StatusReport;
}

export type FromSocketWorker =
  { ev: 'ready' } | ConnectReport | StatusReport | SettleReport | { ev: 'fatal'; message: string };

// ---- driver (publisher or HTTP poster) ----

export interface PublishJob {
  mode: 'publish';
  redisUrl: string;
  channels: string[];
  ratePerOrg: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
}

export interface PostJob {
  mode: 'post';
  /** The api's origins; POSTs go round-robin over them. */
  apiUrls: string[];
  /** Help desk uuids, per organization. */
  helpDesks: string[][];
  /** Each organization's API key, same order. */
  apiKeys: string[];
  /** POSTs per second in all; 0 = as fast as `concurrency` allows. */
  rate: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** JSON, or multipart with a file of `fileBytes`. */
  body: 'json' | 'multipart';
  fileBytes: number;
}

export interface ReadJob {
  mode: 'read';
  apiUrl: string;
  organizations: string[];
  /** Help desk uuids, per organization. */
  helpDesks: string[][];
  apiKeys: string[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Sent as `limit` when the api pages (undefined: it does not, and the data set is one page). */
  limit: number | undefined;
}

export type ToDriver = { cmd: 'run'; job: PublishJob | PostJob | ReadJob };

export interface ReadReport {
  ev: 'read-done';
  sent: number;
  succeeded: number;
  failed: number;
  errors: Record<string, number>;
  /** Pages answered 200 among the requests started in the measured phase, and its length. */
  measuredPages: number;
  measuredMs: number;
  /** Request latency (µs) of the measured phase, per page kind. */
  list: HistogramData;
  history: HistogramData;
  /** Mean body size of each kind of page, bytes. */
  listBytes: number;
  historyBytes: number;
}

export interface DriverReport {
  ev: 'done';
  /** Bitmap bytes of the sequence numbers published (or POSTed with success), per organization. */
  published: Uint8Array[];
  sent: number;
  succeeded: number;
  failed: number;
  errors: Record<string, number>;
  /** Operations started in the measured phase and how long that phase lasted. */
  measuredOps: number;
  measuredSucceeded: number;
  measuredMs: number;
  /** e2e: POST latency (µs) of the measured phase; publish: time to Redis's reply. */
  latency: HistogramData;
  /** Operations that started more than 10 ms after their scheduled time (the driver fell behind). */
  late: number;
  /** Size in bytes of one frame as published (fanout), for the record. */
  frameBytes: number;
}

export type FromDriver = { ev: 'ready' } | DriverReport | ReadReport | { ev: 'fatal'; message: string };
