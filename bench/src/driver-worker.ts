// The event source of a run, in its own process: either publishes encoded envelopes straight to
// Redis (fan-out only: measures the gateway alone) or POSTs /api/send-message/ (end to end); or,
// for the reads scenario, the agents GETting pages.
// Either way each event's message text carries its organization's sequence number and the
// CLOCK_MONOTONIC time it was sent, which the sockets read back (payload.ts).

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { encodeEnvelope, type MessageJson } from '@helpdesk/shared';
import { Bitmap } from './delivery.js';
import { Histogram } from './histogram.js';
import type { DriverReport, FromDriver, PostJob, PublishJob, ReadJob, ReadReport, ToDriver } from './ipc.js';
import { PHASE_MEASURE, PHASE_WARMUP, markerText, nowMicros } from './payload.js';
import { sendMessageBody } from './send-message-body.js';

function send(message: FromDriver): void {
  process.send?.(message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counters both modes share. */
class Tally {
  published: Bitmap[];
  sent = 0;
  succeeded = 0;
  failed = 0;
  errors: Record<string, number> = {};
  measuredOps = 0;
  measuredSucceeded = 0;
  late = 0;
  latency = new Histogram();
  constructor(orgs: number) {
    this.published = Array.from({ length: orgs }, () => new Bitmap());
  }
  error(error: unknown): void {
    this.failed++;
    const key = (error instanceof Error ? error.message : String(error)).slice(0, 120);
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }
  report(measuredMs: number, frameBytes: number): DriverReport {
    return {
      ev: 'done',
      published: this.published.map((b) => b.toBytes()),
      sent: this.sent,
      succeeded: this.succeeded,
      failed: this.failed,
      errors: this.errors,
      measuredOps: this.measuredOps,
      measuredSucceeded: this.measuredSucceeded,
      measuredMs,
      latency: this.latency.toData(),
      late: this.late,
      frameBytes,
    };
  }
}

/**
 * Event g of the run goes to organization g mod K with sequence number floor(g / K), due at
 * g / (K·rate) seconds: every organization at `rate`, their events interleaved evenly rather
 * than all organizations publishing in the same instant.
 */
async function publish(job: PublishJob): Promise<DriverReport> {
  const orgs = job.channels.length;
  const tally = new Tally(orgs);
  const redis = new Redis(job.redisUrl, {
    connectionName: 'helpdesk-bench:publisher',
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
  });
  const templates: MessageJson[] = job.channels.map(() => ({
    created_at: '2026-11-25T08:00:00.000000+00:00',
    updated_at: '2026-11-25T08:00:00.000000+00:00',
    uuid: randomUUID(),
    message: '',
    file: null,
    type: 'sent',
    status: 'sent',
    help_desk: randomUUID(),
  }));
  const frameBytes = Buffer.byteLength(
    encodeEnvelope('new_message', { ...templates[0]!, message: markerText(0, nowMicros(), 0, job.payloadBytes) }),
  );
  const perSecond = orgs * job.ratePerOrg;
  const total = Math.floor(((job.warmupMs + job.durationMs) / 1000) * perSecond);
  const warmupEvents = Math.floor((job.warmupMs / 1000) * perSecond);
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let g = 0;
  while (g < total) {
    const elapsed = performance.now() - start;
    const due = Math.min(total, Math.floor((elapsed / 1000) * perSecond) + 1);
    for (; g < due; g++) {
      if (elapsed - (g / perSecond) * 1000 > 10) tally.late++;
      const org = g % orgs;
      const seq = Math.floor(g / orgs);
      const phase = g < warmupEvents ? PHASE_WARMUP : PHASE_MEASURE;
      const t0 = nowMicros();
      // With the per-organization event id the api puts in envelopes, so the gateway does its
      // per-event work (the duplicate check) as in production.
      const frame = encodeEnvelope(
        'new_message',
        { ...templates[org]!, message: markerText(seq, t0, phase, job.payloadBytes) },
        seq + 1,
      );
      tally.sent++;
      if (phase === PHASE_MEASURE) tally.measuredOps++;
      const p = redis
        .publish(job.channels[org]!, frame)
        .then(() => {
          tally.succeeded++;
          if (phase === PHASE_MEASURE) tally.measuredSucceeded++;
          tally.published[org]!.set(seq);
          tally.latency.record(nowMicros() - t0);
        })
        .catch((error: unknown) => tally.error(error))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    const nextDue = start + (g / perSecond) * 1000;
    await sleep(Math.max(0, Math.min(50, nextDue - performance.now())));
  }
  await Promise.all(inFlight);
  await redis.quit();
  return tally.report(job.durationMs, frameBytes);
}

/**
 * POST g goes to organization g mod K (its sequence number floor(g / K)) and to that
 * organization's help desk floor(g / K) mod H. With a rate, POST g is due at g / rate seconds
 * (open loop; at most `concurrency` in flight, a late start is counted); without one, each of the
 * `concurrency` lanes POSTs again as soon as its previous answer arrives.
 */
async function post(job: PostJob): Promise<DriverReport> {
  const orgs = job.helpDesks.length;
  const tally = new Tally(orgs);
  const pools = job.apiUrls.map(
    (url) =>
      new Pool(url, {
        connections: Math.ceil(job.concurrency / job.apiUrls.length),
        pipelining: 1,
        keepAliveTimeout: 30_000,
      }),
  );
  const totalMs = job.warmupMs + job.durationMs;
  const file = Buffer.alloc(job.fileBytes, 'f');
  const start = performance.now();
  let g = 0;

  const one = async (index: number): Promise<void> => {
    const org = index % orgs;
    const seq = Math.floor(index / orgs);
    const desks = job.helpDesks[org]!;
    const helpDesk = desks[seq % desks.length]!;
    const sinceStart = performance.now() - start;
    const phase = sinceStart < job.warmupMs ? PHASE_WARMUP : PHASE_MEASURE;
    const t0 = nowMicros();
    tally.sent++;
    if (phase === PHASE_MEASURE) tally.measuredOps++;
    try {
      const { contentType, body } = sendMessageBody(
        job.body,
        markerText(seq, t0, phase, job.payloadBytes),
        helpDesk,
        file,
      );
      const response = await pools[index % pools.length]!.request({
        method: 'POST',
        path: '/api/send-message/',
        headers: { 'content-type': contentType, authorization: `Bearer ${job.apiKeys[org]!}` },
        body,
      });
      await response.body.dump();
      if (response.statusCode !== 201) throw new Error(`HTTP ${response.statusCode}`);
      tally.succeeded++;
      tally.published[org]!.set(seq);
      if (phase === PHASE_MEASURE) {
        tally.measuredSucceeded++;
        tally.latency.record(nowMicros() - t0);
      }
    } catch (error) {
      tally.error(error);
    }
  };

  if (job.rate > 0) {
    const total = Math.floor((totalMs / 1000) * job.rate);
    const inFlight = new Set<Promise<void>>();
    while (g < total) {
      const dueAt = (g / job.rate) * 1000;
      const now = performance.now() - start;
      if (now < dueAt) {
        await sleep(Math.min(50, dueAt - now));
        continue;
      }
      if (inFlight.size >= job.concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      if (now - dueAt > 10) tally.late++;
      const p: Promise<void> = one(g++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } else {
    const lane = async (): Promise<void> => {
      while (performance.now() - start < totalMs) await one(g++);
    };
    await Promise.all(Array.from({ length: job.concurrency }, lane));
  }
  await Promise.all(pools.map((p) => p.close()));
  return tally.report(job.durationMs, 0);
}

/**
 * Each of the `concurrency` lanes (agents) reads back to back: request g is the help-desk list of
 * organization floor(g / 2) mod K when g is even, else the history of one of its help desks.
 */
async function read(job: ReadJob): Promise<ReadReport> {
  const orgs = job.organizations.length;
  const pool = new Pool(job.apiUrl, { connections: job.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const totalMs = job.warmupMs + job.durationMs;
  const limit = job.limit === undefined ? '' : `limit=${job.limit}`;
  const report: ReadReport = {
    ev: 'read-done',
    sent: 0,
    succeeded: 0,
    failed: 0,
    errors: {},
    measuredPages: 0,
    measuredMs: job.durationMs,
    list: new Histogram().toData(),
    history: new Histogram().toData(),
    listBytes: 0,
    historyBytes: 0,
  };
  const latency = { list: new Histogram(), history: new Histogram() };
  const bytes = { list: 0, history: 0 };
  const start = performance.now();
  let g = 0;
  const one = async (index: number): Promise<void> => {
    const org = Math.floor(index / 2) % orgs;
    const kind = index % 2 === 0 ? 'list' : 'history';
    const desks = job.helpDesks[org]!;
    const path =
      kind === 'list'
        ? `/api/help-desks/?organization=${job.organizations[org]!}${limit ? `&${limit}` : ''}`
        : `/api/help-desks/${desks[Math.floor(index / 2 / orgs) % desks.length]!}/history/${limit ? `?${limit}` : ''}`;
    const measured = performance.now() - start >= job.warmupMs;
    const t0 = nowMicros();
    report.sent++;
    try {
      const response = await pool.request({
        method: 'GET',
        path,
        headers: { authorization: `Bearer ${job.apiKeys[org]!}` },
      });
      const body = await response.body.arrayBuffer();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
      report.succeeded++;
      if (measured) {
        report.measuredPages++;
        latency[kind].record(nowMicros() - t0);
        bytes[kind] += body.byteLength;
      }
    } catch (error) {
      report.failed++;
      const key = (error instanceof Error ? error.message : String(error)).slice(0, 120);
      report.errors[key] = (report.errors[key] ?? 0) + 1;
    }
  };
  const lane = async (): Promise<void> => {
    while (performance.now() - start < totalMs) await one(g++);
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  await pool.close();
  report.list = latency.list.toData();
  report.history = latency.history.toData();
  report.listBytes = latency.list.count ? bytes.list / latency.list.count : 0;
  report.historyBytes = latency.history.count ? bytes.history / latency.history.count : 0;
  return report;
}

process.on('message', (message: ToDriver) => {
  const job = message.job;
  (job.mode === 'publish' ? publish(job) : job.mode === 'post' ? post(job) : read(job))
    .then((report) => send(report))
    .catch((error: unknown) => send({ ev: 'fatal', message: String(error instanceof Error ? error.stack : error) }));
});
process.on('disconnect', () => process.exit(0));
send({ ev: 'ready' });
