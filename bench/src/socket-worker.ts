// A load-generator process: opens its share of the sockets, reads the marker out of every frame
// (no JSON parsing: a byte search), and keeps per-socket delivery bitmaps and latency histograms.
// Run by main.ts with child_process.fork; each process has its own file-descriptor limit.

import WebSocket from 'ws';
import { EVENT_TYPES } from '@helpdesk/shared';
import { Bitmap, SocketDelivery, addCounts, type DeliveryCounts } from './delivery.js';
import { Histogram } from './histogram.js';
import type { ClientKind, FromSocketWorker, SocketAssignment, StatusReport, ToSocketWorker } from './ipc.js';
import { PHASE_MEASURE, nowMicros, readFrame } from './payload.js';
import { RawWebSocket, type RawClientHandlers, type RawClientOptions } from './raw-client.js';
import { socketRequest, type SocketAuth } from './socket-auth.js';

interface Client {
  connection: { terminate(): void };
  org: number;
  delivery: SocketDelivery;
  open: boolean;
}

const clients: Client[] = [];
const latency = EVENT_TYPES.map(() => new Histogram());
let frames = 0;
let fresh = 0;
let unreadable = 0;
let measuredFrames = 0;
let firstMeasuredAt = 0;
let lastMeasuredAt = 0;
let droppedAfterOpen = 0;
let closing = false;
const closeCodes: Record<string, number> = {};

function send(message: FromSocketWorker): void {
  process.send?.(message);
}

function onFrame(client: Client, data: Buffer): void {
  frames++;
  const mark = readFrame(data);
  if (mark === undefined) {
    unreadable++;
    return;
  }
  if (client.delivery.receive(mark.type, mark.seq)) fresh++;
  if (mark.phase === PHASE_MEASURE) {
    const now = nowMicros();
    latency[mark.type]!.record(now - mark.sentAtMicros);
    measuredFrames++;
    if (firstMeasuredAt === 0) firstMeasuredAt = now;
    lastMeasuredAt = now;
  }
}

type Handlers = RawClientHandlers;

/** Opens one socket with the chosen client implementation. */
function openConnection(kind: ClientKind, options: RawClientOptions, on: Handlers): { terminate(): void } {
  if (kind === 'raw') return new RawWebSocket(options, on);
  const ws = new WebSocket(options.url, {
    headers: options.headers,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    handshakeTimeout: options.handshakeTimeoutMs,
    localAddress: options.localAddress,
  });
  let open = false;
  ws.on('open', () => {
    open = true;
    on.open();
  });
  ws.on('message', (data: Buffer) => on.message(data));
  ws.on('error', (error: Error) => {
    if (!open) on.error(error);
  });
  ws.on('close', (code: number) => {
    if (open) on.close(code);
  });
  return ws;
}

async function connectAll(
  kind: ClientKind,
  auth: SocketAuth,
  orgNames: string[],
  sockets: SocketAssignment[],
  concurrency: number,
  handshakeTimeoutMs: number,
  types: number,
): Promise<void> {
  const handshake = new Histogram();
  const errors: Record<string, number> = {};
  let opened = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();

  const openOne = async (assignment: SocketAssignment): Promise<void> => {
    const org = orgNames[assignment.org]!;
    let request;
    try {
      request = await socketRequest(assignment.baseUrl, org, auth);
    } catch (error) {
      failed++;
      const key = (error instanceof Error ? error.message : String(error)).slice(0, 120);
      errors[key] = (errors[key] ?? 0) + 1;
      return;
    }
    const t0 = nowMicros();
    await new Promise<void>((resolve) => {
      const client: Client = {
        connection: { terminate: () => undefined },
        org: assignment.org,
        delivery: new SocketDelivery(types),
        open: false,
      };
      client.connection = openConnection(
        kind,
        { url: request.url, headers: request.headers, localAddress: assignment.localAddress, handshakeTimeoutMs },
        {
          open: () => {
            client.open = true;
            opened++;
            handshake.record(nowMicros() - t0);
            clients.push(client);
            resolve();
          },
          message: (data) => onFrame(client, data),
          error: (error) => {
            failed++;
            const key = error.message.slice(0, 120);
            errors[key] = (errors[key] ?? 0) + 1;
            resolve();
          },
          close: (code) => {
            if (!closing) {
              droppedAfterOpen++;
              closeCodes[String(code)] = (closeCodes[String(code)] ?? 0) + 1;
            }
            client.open = false;
          },
        },
      );
    });
  };

  const lane = async (): Promise<void> => {
    while (next < sockets.length) {
      const assignment = sockets[next++]!;
      await openOne(assignment);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, sockets.length)) }, lane));
  send({
    ev: 'connected',
    opened,
    failed,
    errors,
    elapsedMs: performance.now() - started,
    handshake: handshake.toData(),
  });
}

function status(): StatusReport {
  return { ev: 'status', open: clients.filter((c) => c.open).length, droppedAfterOpen, closeCodes, frames };
}

async function settle(expectedBytes: Uint8Array[][], drainMs: number): Promise<void> {
  const expected = expectedBytes.map((types) => types.map((bytes) => new Bitmap(bytes)));
  // What every socket should end up with, to stop waiting as soon as it has arrived.
  const perOrg = expected.map((types) => types.reduce((n, b) => n + b.count(), 0));
  const wanted = clients.reduce((n, c) => n + (perOrg[c.org] ?? 0), 0);
  const started = performance.now();
  while (fresh < wanted && performance.now() - started < drainMs) await new Promise((r) => setTimeout(r, 50));
  const drainedMs = performance.now() - started;
  let delivery: DeliveryCounts = { delivered: 0, missing: 0, duplicates: 0, unexpected: 0 };
  for (const client of clients) delivery = addCounts(delivery, client.delivery.settle(expected[client.org] ?? []));
  send({
    ev: 'settled',
    delivery,
    unreadable,
    latency: latency.map((h) => h.toData()),
    measuredFrames,
    firstMeasuredAt,
    lastMeasuredAt,
    drainedMs,
    complete: fresh >= wanted,
    status: status(),
  });
}

function closeAll(): void {
  closing = true;
  for (const client of clients) client.connection.terminate();
  // Give the terminations a moment to go out before the process ends.
  setTimeout(() => process.exit(0), 200);
}

process.on('message', (message: ToSocketWorker) => {
  const run = async (): Promise<void> => {
    switch (message.cmd) {
      case 'connect':
        await connectAll(
          message.client,
          message.auth,
          message.orgNames,
          message.sockets,
          message.concurrency,
          message.handshakeTimeoutMs,
          message.types,
        );
        break;
      case 'status':
        send(status());
        break;
      case 'settle':
        await settle(message.expected, message.drainMs);
        break;
      case 'close':
        closeAll();
        break;
    }
  };
  run().catch((error: unknown) => send({ ev: 'fatal', message: String(error instanceof Error ? error.stack : error) }));
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
