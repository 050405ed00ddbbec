// One run: start the target (gateway or ceiling) and, end to end, the api on a fresh database;
// open the sockets from worker processes; drive events; measure; tear everything down.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { forgetRun } from './forget-run.js';
import { EVENT_TYPES, organizationChannel } from '@helpdesk/shared';
import { Children, type SocketWorker } from './run-children.js';
import { Bitmap, addCounts, type DeliveryCounts } from './delivery.js';
import { Histogram, type LatencySummary } from './histogram.js';
import type { DriverReport, SocketAssignment } from './ipc.js';
import { socketsPerOrganization, type RunOptions } from './plan.js';
import {
  cpuPercent,
  machinePercent,
  openFileLimit,
  pidsNamed,
  sampleMachineCpu,
  sampleProcess,
  sampleProcesses,
  type MachineCpuSample,
  type ProcSample,
} from './proc.js';
import { startApiUnderTest } from './api-under-test.js';
import { startNodeProcess, type ManagedProcess } from './services.js';
import type { Fixtures } from './fixtures.js';
import { NEW_MESSAGE } from './payload.js';

export interface RunContext {
  repoRoot: string;
  distDir: string;
  redisUrl: string;
  postgresAdminUrl: string;
  /** Counts runs in this invocation; picks fresh loopback source addresses for large runs. */
  runIndex: number;
  cores: number;
  logLevel: string;
  apiEntry: string;
  log(line: string): void;
  /** Set for the deployment scenario: drive that deployment instead of starting anything. */
  deployment?: DeploymentTarget;
}

/** An existing deployment (deployment-run.ts prepares it): where it is, and its data for this run. */
export interface DeploymentTarget {
  httpUrls: string[];
  wsUrls: string[];
  organizations: string[];
  helpDesks: string[][];
  apiKeys: string[];
  /** Source addresses to bind sockets to, round-robin; empty: the system picks. */
  sourceAddresses: string[];
}

/** Fewer descriptors than the limit, for the process's own files, Redis, pipes. */
const FD_RESERVE = 100;
/**
 * Sockets per loopback source address. One address has ~28k local ports; but a socket bound to an
 * explicit address gets its port from bind()'s search, which slows down as the range fills (with
 * 19k sockets on one address the connect rate fell from 7,000/s to 430/s here). 2,000 per address
 * keeps the search short, so every socket binds to its own 127.a.b.c (all of 127/8 reaches lo).
 */
const SOCKETS_PER_SOURCE_ADDRESS = 2_000;

/** The i-th source address of a run; the second octet changes per run, away from ports in TIME_WAIT. */
export function sourceAddress(runIndex: number, i: number): string {
  return `127.${(runIndex % 250) + 1}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export interface ProcessFigures {
  cpuPercent: number;
  rssBytes: number;
}

export interface RunResult {
  scenario: string;
  kind: string;
  target: string;
  startedAt: string;
  params: RunOptions & { instances: number; workers: number; sourceAddresses: number };
  connect: {
    requested: number;
    opened: number;
    failed: number;
    errors: Record<string, number>;
    seconds: number;
    perSecond: number;
    handshakeMs: LatencySummary;
  };
  /** The measured server: the gateway or the ceiling (all its instances summed). */
  server: {
    instances: number;
    rssBaselineBytes: number;
    rssIdleBytes: number;
    rssPerIdleSocketBytes: number;
    idleCpuPercent: number;
    load?: ProcessFigures;
  };
  events?: {
    published: number;
    publishFailed: number;
    frameBytes: number;
    expectedFrames: number;
    delivered: number;
    missing: number;
    duplicates: number;
    unexpected: number;
    unreadable: number;
    framesPerSecond: number;
    drainedMs: number;
    complete: boolean;
    driverLate: number;
    /** fanout: the driver's PUBLISH round trip to Redis, ms: the floor under every latency here. */
    publishMs?: LatencySummary;
  };
  /** Per event type, microseconds from publish (fanout) or POST start (e2e) to arrival, measured phase. */
  latency?: Record<string, LatencySummary>;
  /** Downsampled CDF of the headline latency (new_message): [µs, fraction]. */
  latencyCdf?: Array<[number, number]>;
  http?: {
    sent: number;
    succeeded: number;
    failed: number;
    errors: Record<string, number>;
    requestsPerSecond: number;
    latency: LatencySummary;
    late: number;
  };
  api?: ProcessFigures & { rssIdleBytes: number };
  generator?: { workersCpuPercent: number; driverCpuPercent: number };
  redis?: ProcessFigures;
  postgres?: ProcessFigures;
  machineBusyPercent?: number;
  /** Interrupt time (softirq: mostly loopback TCP of this run) and hypervisor steal, % of one core. */
  irqPercent?: number;
  stealPercent?: number;
  /**
   * Machine CPU not spent by any process of the run (the measured servers, the generator, Redis,
   * Postgres, the orchestrator): other work on a shared machine. Large values make a run noisy.
   */
  otherCpuPercent?: number;
  /** reads: pages read, and each kind of page's latency (ms) and size. */
  reads?: {
    /** The `limit` sent, or null when the api did not page (each read was a whole list, one page long). */
    limit: number | null;
    pagesPerSecond: number;
    sent: number;
    failed: number;
    errors: Record<string, number>;
    list: LatencySummary;
    history: LatencySummary;
    listBytes: number;
    historyBytes: number;
  };
  after: { open: number; droppedAfterOpen: number; closeCodes: Record<string, number> };
  warnings: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOne(options: RunOptions, ctx: RunContext): Promise<RunResult> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const prefix = `hdbench:${runId}:`;
  // Shared by the api (which signs socket tickets) and the gateway (which checks them).
  const secretKey = randomBytes(32).toString('base64url');
  const warnings: string[] = [];
  const remote = ctx.deployment;
  const orgNames = remote?.organizations ?? Array.from({ length: options.orgs }, (_, i) => `bench-${runId}-${i}`);
  const counts = socketsPerOrganization(options.sockets, options.orgs, options.distribution);

  // One process holds at most its RLIMIT_NOFILE descriptors, one per socket: split if needed.
  const fdLimit = openFileLimit().soft;
  const perProcess = Math.max(1, fdLimit - FD_RESERVE);
  const neededProcesses = Math.ceil(options.sockets / perProcess);
  const instances = remote ? remote.wsUrls.length : options.instances || neededProcesses;
  const workers = Math.max(options.workers || (options.sockets >= 2000 ? 2 : 1), neededProcesses);
  if ((!remote && options.sockets / instances > perProcess) || options.sockets / workers > perProcess) {
    throw new Error(
      `${options.sockets} sockets do not fit ${instances} target process(es) and ${workers} worker(s) ` +
        `under the open-file limit (RLIMIT_NOFILE soft ${fdLimit}, hard ${openFileLimit().hard}: at most ${perProcess} sockets per process). ` +
        `Raise it in the shell that runs the bench (\`ulimit -n 200000\`, as root or within the hard limit) or pass --instances/--workers.`,
    );
  }
  if (!remote && instances > 1 && options.instances === 0) {
    warnings.push(
      `${options.sockets} sockets exceed one process's open-file limit (${fdLimit}): split over ${instances} ${options.target} processes`,
    );
  }
  const sourceAddresses = Math.ceil(options.sockets / SOCKETS_PER_SOURCE_ADDRESS);
  const params = { ...options, instances, workers, sourceAddresses };
  ctx.log(
    `run ${runId}: ${options.scenario}${options.kind === 'e2e' ? ` (${options.body})` : ''} → ${options.target}: ${options.sockets} sockets, ${options.orgs} orgs (${options.distribution}), ${instances} instance(s), ${workers} worker(s)`,
  );

  // The local Redis, to see subscriptions and sample its CPU; a deployment's is not ours to watch.
  const redis = remote
    ? undefined
    : new Redis(ctx.redisUrl, { connectionName: 'helpdesk-bench:orchestrator', maxRetriesPerRequest: 2 });
  // Children stop first (unshifted below); then the run's keys go, then the connection.
  const cleanup: Array<() => Promise<void>> = redis
    ? [() => forgetRun(redis, prefix).then(() => undefined), () => redis.quit().then(() => undefined)]
    : [];
  const children = new Children(ctx.distDir);
  cleanup.unshift(() => children.stopAll());
  try {
    // ---- the api or the api ceiling (end to end only) ----
    let api: ManagedProcess | undefined;
    let fixtures: Fixtures = { helpDesks: [], apiKeys: [] };
    let apiUrl = '';
    if (remote) {
      fixtures = { helpDesks: remote.helpDesks, apiKeys: remote.apiKeys };
    } else if (options.kind === 'e2e') {
      const underTest = await startApiUnderTest(options, ctx, { prefix, secretKey }, orgNames, cleanup);
      ({ process: api, fixtures, url: apiUrl } = underTest);
    }

    // ---- the target ----
    const targets: ManagedProcess[] = [];
    for (let i = 0; i < (remote ? 0 : instances); i++) {
      const script =
        options.target === 'gateway'
          ? join(ctx.repoRoot, 'services/gateway/dist/main.js')
          : join(ctx.distDir, 'ceiling-server.js');
      const target = await startNodeProcess(`${options.target}#${i}`, script, {
        REDIS_URL: ctx.redisUrl,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: ctx.logLevel,
        // The bench decides the load; the gateway's protective limits must not cut it short.
        WS_MAX_SOCKETS_PER_ORGANIZATION: String(options.sockets + 1),
        WS_MAX_SOCKETS: String(options.sockets + 1),
        // Off: the bench opens thousands of sockets per source address on purpose.
        WS_CONNECT_RATE_PER_IP: '0',
        SECRET_KEY: secretKey,
        METRICS_PORT: '0',
      });
      targets.push(target);
      cleanup.unshift(() => target.stop());
    }
    const targetPids = targets.map((t) => t.pid);
    if (!remote) await sleep(2000);
    const baseline = sampleProcesses(targetPids);
    const apiBaseline = api ? sampleProcess(api.pid) : undefined;

    // ---- sockets ----
    const socketWorkers = await children.socketWorkers(workers);
    // Interleave organizations so every worker and every instance gets its share of each.
    const order: number[] = [];
    const left = [...counts];
    for (let round = 0; order.length < options.sockets; round++) {
      for (let org = 0; org < left.length; org++) {
        if (left[org]! > 0) {
          order.push(org);
          left[org]!--;
        }
      }
    }
    const perWorker: SocketAssignment[][] = socketWorkers.map(() => []);
    const instancesOfOrg = orgNames.map(() => new Set<number>());
    order.forEach((org, s) => {
      // Shifted each round of organizations, so an organization lands on every instance and
      // worker even when the organization count is a multiple of theirs.
      const spread = s + Math.floor(s / options.orgs);
      const instance = spread % instances;
      instancesOfOrg[org]!.add(instance);
      perWorker[spread % workers]!.push({
        baseUrl: remote ? remote.wsUrls[instance]! : `ws://127.0.0.1:${targets[instance]!.port}`,
        org,
        localAddress: remote
          ? remote.sourceAddresses[s % remote.sourceAddresses.length]
          : sourceAddress(ctx.runIndex, Math.floor(s / SOCKETS_PER_SOURCE_ADDRESS)),
      });
    });
    const connectStart = performance.now();
    const connectConcurrency = Math.max(1, Math.round(options.connectConcurrency));
    socketWorkers.forEach((w, i) =>
      w.send({
        cmd: 'connect',
        auth: remote
          ? { apiUrl: remote.httpUrls[0]!, keys: Object.fromEntries(orgNames.map((o, i) => [o, remote.apiKeys[i]!])) }
          : { secretKey },
        client: options.client,
        orgNames,
        sockets: perWorker[i]!,
        concurrency: connectConcurrency,
        handshakeTimeoutMs: 15_000,
        types: EVENT_TYPES.length,
      }),
    );
    const connectTimeout = 60_000 + options.sockets * 5;
    const connectProgress = remote ? liveProgress('connecting', socketWorkers, options.sockets) : undefined;
    const connected = await Promise.all(socketWorkers.map((w) => w.next('connected', connectTimeout))).finally(() =>
      connectProgress?.stop(),
    );
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const handshake = new Histogram();
    const connectErrors: Record<string, number> = {};
    let opened = 0;
    let failed = 0;
    for (const c of connected) {
      opened += c.opened;
      failed += c.failed;
      handshake.merge(c.handshake);
      for (const [k, v] of Object.entries(c.errors)) connectErrors[k] = (connectErrors[k] ?? 0) + v;
    }
    ctx.log(
      `  connected ${opened}/${options.sockets} in ${connectSeconds.toFixed(1)} s (${Math.round(opened / connectSeconds)}/s)${failed ? `, ${failed} failed: ${JSON.stringify(connectErrors)}` : ''}`,
    );
    if (failed > 0) warnings.push(`${failed} sockets failed to connect: ${JSON.stringify(connectErrors)}`);
    for (const t of targets)
      if (!t.running) throw new Error(`${t.name} exited while sockets connected (code ${t.exitCode}):\n${t.tail()}`);

    // Every instance hosting an organization's sockets subscribes to its channel; wait for that.
    // (A deployment's gateway opens a socket only once its organization's subscription is in place.)
    const subscribed =
      !redis ||
      (await waitForSubscriptions(
        redis,
        orgNames.map((o, i) => [organizationChannel(prefix, o), instancesOfOrg[i]!.size] as const),
        15_000,
      ));
    if (!subscribed) warnings.push('not every organization channel had its subscribers within 15 s');

    if (!remote) await sleep(2000);
    const idleSample = sampleProcesses(targetPids);
    const rssPerIdleSocket = opened > 0 ? (idleSample.rssBytes - baseline.rssBytes) / opened : 0;
    ctx.log(
      `  target RSS ${mib(baseline.rssBytes)} → ${mib(idleSample.rssBytes)} MiB: ${(rssPerIdleSocket / 1024).toFixed(2)} KiB per socket`,
    );

    const result: RunResult = {
      scenario: options.scenario,
      kind: options.kind,
      target: options.target,
      startedAt: new Date().toISOString(),
      params,
      connect: {
        requested: options.sockets,
        opened,
        failed,
        errors: connectErrors,
        seconds: connectSeconds,
        perSecond: opened / connectSeconds,
        handshakeMs: scaleSummary(handshake.summary(), 1 / 1000),
      },
      server: {
        instances,
        rssBaselineBytes: baseline.rssBytes,
        rssIdleBytes: idleSample.rssBytes,
        rssPerIdleSocketBytes: rssPerIdleSocket,
        idleCpuPercent: 0,
      },
      after: { open: 0, droppedAfterOpen: 0, closeCodes: {} },
      warnings,
    };

    if (options.kind === 'idle') {
      const from = sampleProcesses(targetPids);
      await sleep(options.durationSeconds * 1000);
      const to = sampleProcesses(targetPids);
      result.server.idleCpuPercent = cpuPercent(from, to);
      result.server.rssIdleBytes = to.rssBytes;
    } else {
      const idleFrom = sampleProcesses(targetPids);
      await sleep(1000);
      result.server.idleCpuPercent = cpuPercent(idleFrom, sampleProcesses(targetPids));

      // ---- load ----
      const driver = await children.driver();
      const redisPid = redis ? Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? 0) : 0;
      const postgresPids = options.kind === 'e2e' && !remote ? pidsNamed('postgres') : [];
      const groups: Record<string, number[]> = {
        target: targetPids,
        api: api ? [api.pid] : [],
        workers: socketWorkers.map((w) => w.pid),
        driver: [driver.pid],
        redis: redisPid ? [redisPid] : [],
        postgres: postgresPids,
        orchestrator: [process.pid],
      };
      let measureFrom: Record<string, ProcSample> | undefined;
      let machineFrom: MachineCpuSample | undefined;
      const rssMax: Record<string, number> = {};
      const sampleAll = () =>
        Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, sampleProcesses(pids)])) as Record<
          string,
          ProcSample
        >;
      const warmupTimer = setTimeout(() => {
        // Pools open their connections on demand: by the end of the warm-up every backend exists.
        if (options.kind === 'e2e' && !remote) groups['postgres'] = pidsNamed('postgres');
        measureFrom = sampleAll();
        machineFrom = sampleMachineCpu();
      }, options.warmupSeconds * 1000);
      const rssTimer = setInterval(() => {
        for (const [k, s] of Object.entries(sampleAll())) rssMax[k] = Math.max(rssMax[k] ?? 0, s.rssBytes);
      }, 1000);
      const loadStart = sampleAll();
      const machineStart = sampleMachineCpu();
      const loadProgress = remote ? liveProgress('sending', socketWorkers, options.sockets) : undefined;
      driver.send({
        cmd: 'run',
        job:
          options.kind === 'e2e'
            ? {
                mode: 'post',
                apiUrls: remote ? remote.httpUrls : [apiUrl],
                helpDesks: fixtures.helpDesks,
                apiKeys: fixtures.apiKeys,
                rate: options.rate,
                concurrency: Math.max(1, Math.round(options.concurrency)),
                warmupMs: options.warmupSeconds * 1000,
                durationMs: options.durationSeconds * 1000,
                payloadBytes: options.payloadBytes,
                body: options.body,
                fileBytes: Math.round(options.fileBytes),
              }
            : {
                mode: 'publish',
                redisUrl: ctx.redisUrl,
                channels: orgNames.map((o) => organizationChannel(prefix, o)),
                ratePerOrg: options.rate,
                warmupMs: options.warmupSeconds * 1000,
                durationMs: options.durationSeconds * 1000,
                payloadBytes: options.payloadBytes,
              },
      });
      let report: DriverReport;
      try {
        report = await driver.next('done', (options.warmupSeconds + options.durationSeconds) * 1000 + 120_000);
      } finally {
        loadProgress?.stop();
        clearTimeout(warmupTimer);
        clearInterval(rssTimer);
      }
      const measureTo = sampleAll();
      const machineTo = sampleMachineCpu();
      const from = measureFrom ?? loadStart;
      const figures = (k: string): ProcessFigures => ({
        cpuPercent: cpuPercent(from[k]!, measureTo[k]!),
        rssBytes: Math.max(rssMax[k] ?? 0, measureTo[k]!.rssBytes),
      });
      result.server.load = figures('target');
      result.generator = {
        workersCpuPercent: figures('workers').cpuPercent,
        driverCpuPercent: figures('driver').cpuPercent,
      };
      if (redisPid) result.redis = figures('redis');
      if (api) result.api = { ...figures('api'), rssIdleBytes: apiBaseline?.rssBytes ?? 0 };
      if (postgresPids.length) result.postgres = figures('postgres');
      const machineFromSample = machineFrom ?? machineStart;
      result.machineBusyPercent = machinePercent(machineFromSample, machineTo, ctx.cores);
      result.irqPercent = machinePercent(machineFromSample, machineTo, ctx.cores, 'irq');
      result.stealPercent = machinePercent(machineFromSample, machineTo, ctx.cores, 'steal');
      const ours = Object.keys(groups).reduce((sum, k) => sum + cpuPercent(from[k]!, measureTo[k]!), 0);
      result.otherCpuPercent = Math.max(0, machinePercent(machineFromSample, machineTo, ctx.cores, 'tasks') - ours);
      if (result.otherCpuPercent > 15) {
        warnings.push(
          `other processes on the machine used ${Math.round(result.otherCpuPercent)}% CPU during the measurement: figures are disturbed`,
        );
      }

      // ---- delivery ----
      const published = report.published.map((bytes) => new Bitmap(bytes));
      const empty = new Uint8Array(16);
      const expected = published.map((b) =>
        options.kind === 'e2e'
          ? EVENT_TYPES.map(() => b.toBytes())
          : EVENT_TYPES.map((_, t) => (t === NEW_MESSAGE ? b.toBytes() : empty)),
      );
      socketWorkers.forEach((w) => w.send({ cmd: 'settle', expected, drainMs: options.drainSeconds * 1000 }));
      const settled = await Promise.all(
        socketWorkers.map((w) => w.next('settled', options.drainSeconds * 1000 + 60_000)),
      );
      let delivery: DeliveryCounts = { delivered: 0, missing: 0, duplicates: 0, unexpected: 0 };
      const latency = EVENT_TYPES.map(() => new Histogram());
      let measuredFrames = 0;
      let unreadable = 0;
      let drainedMs = 0;
      let complete = true;
      for (const s of settled) {
        delivery = addCounts(delivery, s.delivery);
        s.latency.forEach((h, t) => latency[t]!.merge(h));
        measuredFrames += s.measuredFrames;
        unreadable += s.unreadable;
        drainedMs = Math.max(drainedMs, s.drainedMs);
        complete &&= s.complete;
        result.after.open += s.status.open;
        result.after.droppedAfterOpen += s.status.droppedAfterOpen;
        for (const [k, v] of Object.entries(s.status.closeCodes))
          result.after.closeCodes[k] = (result.after.closeCodes[k] ?? 0) + v;
      }
      result.events = {
        published: report.succeeded,
        publishFailed: report.failed,
        frameBytes: report.frameBytes,
        expectedFrames: delivery.delivered + delivery.missing,
        ...delivery,
        unreadable,
        framesPerSecond: measuredFrames / options.durationSeconds,
        drainedMs,
        complete,
        driverLate: report.late,
        ...(options.kind === 'e2e'
          ? {}
          : { publishMs: scaleSummary(Histogram.from(report.latency).summary(), 1 / 1000) }),
      };
      result.latency = Object.fromEntries(
        EVENT_TYPES.flatMap((name, t) =>
          options.kind === 'e2e' || t === NEW_MESSAGE ? [[name, scaleSummary(latency[t]!.summary(), 1 / 1000)]] : [],
        ),
      );
      result.latencyCdf = downsampleCdf(latency[NEW_MESSAGE]!.cdf(), 80).map(([us, f]) => [us / 1000, f]);
      if (options.kind === 'e2e') {
        const httpLatency = Histogram.from(report.latency);
        result.http = {
          sent: report.sent,
          succeeded: report.succeeded,
          failed: report.failed,
          errors: report.errors,
          requestsPerSecond: report.measuredSucceeded / (report.measuredMs / 1000),
          latency: scaleSummary(httpLatency.summary(), 1 / 1000),
          late: report.late,
        };
      }
      if (delivery.missing > 0) warnings.push(`${delivery.missing} frames lost`);
      if (delivery.duplicates > 0) warnings.push(`${delivery.duplicates} duplicate frames`);
      if (report.failed > 0)
        warnings.push(
          `${report.failed} ${options.kind === 'e2e' ? 'POSTs' : 'publishes'} failed: ${JSON.stringify(report.errors)}`,
        );
      if (report.late > report.sent / 100)
        warnings.push(
          `the driver started ${report.late} operations more than 10 ms late (it or the machine could not keep the rate)`,
        );
    }

    if (options.kind === 'idle') {
      const statuses = await Promise.all(
        socketWorkers.map((w) => {
          w.send({ cmd: 'status' });
          return w.next('status', 30_000);
        }),
      );
      for (const s of statuses) {
        result.after.open += s.open;
        result.after.droppedAfterOpen += s.droppedAfterOpen;
        for (const [k, v] of Object.entries(s.closeCodes))
          result.after.closeCodes[k] = (result.after.closeCodes[k] ?? 0) + v;
      }
    }
    if (result.after.droppedAfterOpen > 0)
      warnings.push(
        `${result.after.droppedAfterOpen} sockets were closed by the server or failed during the run: ${JSON.stringify(result.after.closeCodes)}`,
      );
    for (const t of targets) {
      if (!t.running) throw new Error(`${t.name} exited during the run (code ${t.exitCode}):\n${t.tail()}`);
      t.assertNativeUws();
    }
    return result;
  } finally {
    await runCleanup(cleanup, (line) => ctx.log(line));
  }
}

/**
 * A live progress line (deployment runs): sockets open and frames/s, once a second, from the
 * workers' status; rewritten in place on a terminal, a line every 5 s otherwise.
 */
function liveProgress(phase: string, workers: SocketWorker[], sockets: number): { stop(): void } {
  const started = performance.now();
  let lastFrames = 0;
  let lastAt = started;
  let ticks = 0;
  let stopped = false;
  const tty = process.stdout.isTTY;
  const timer = setInterval(() => {
    Promise.all(
      workers.map((w) => {
        w.send({ cmd: 'status' });
        return w.next('status', 5000);
      }),
    )
      .then((statuses) => {
        if (stopped) return;
        const now = performance.now();
        const open = statuses.reduce((n, s) => n + s.open, 0);
        const frames = statuses.reduce((n, s) => n + s.frames, 0);
        const dropped = statuses.reduce((n, s) => n + s.droppedAfterOpen, 0);
        const rate = ((frames - lastFrames) * 1000) / (now - lastAt);
        lastFrames = frames;
        lastAt = now;
        const line = `  [${((now - started) / 1000).toFixed(0)} s] ${phase}: ${open.toLocaleString('en-US')}/${sockets.toLocaleString('en-US')} sockets open, ${Math.round(rate).toLocaleString('en-US')} frames/s, ${frames.toLocaleString('en-US')} frames${dropped ? `, ${dropped} closed by the server` : ''}`;
        if (tty) process.stdout.write(`\r${line}\x1b[K`);
        else if (++ticks % 5 === 0) console.log(line);
      })
      .catch(() => undefined);
  }, 1000);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      if (tty) process.stdout.write('\n');
    },
  };
}

async function waitForSubscriptions(
  redis: Redis,
  channels: ReadonlyArray<readonly [string, number]>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const wanted = channels.filter(([, n]) => n > 0);
  while (performance.now() < deadline) {
    let ok = true;
    for (let i = 0; i < wanted.length && ok; i += 500) {
      const batch = wanted.slice(i, i + 500);
      const reply = (await redis.call('PUBSUB', 'NUMSUB', ...batch.map(([c]) => c))) as Array<string | number>;
      for (let j = 0; j < batch.length; j++) if (Number(reply[2 * j + 1]) < batch[j]![1]) ok = false;
    }
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

export function scaleSummary(summary: LatencySummary, factor: number): LatencySummary {
  const out = { ...summary };
  for (const key of ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'] as const) out[key] = summary[key] * factor;
  return out;
}

/** At most `points` points of a CDF, evenly spread over its fraction axis (the tail kept). */
export function downsampleCdf(cdf: Array<[number, number]>, points: number): Array<[number, number]> {
  if (cdf.length <= points) return cdf;
  const out: Array<[number, number]> = [];
  let lastFraction = -1;
  for (let i = 0; i < cdf.length; i++) {
    const [, fraction] = cdf[i]!;
    const tail = i >= cdf.length - 5;
    if (tail || fraction - lastFraction >= 1 / points) {
      out.push(cdf[i]!);
      lastFraction = fraction;
    }
  }
  return out;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Runs each cleanup step in order; a failing one is logged and the rest still run. */
export async function runCleanup(
  cleanup: ReadonlyArray<() => Promise<void>>,
  log: (line: string) => void,
): Promise<void> {
  for (const step of cleanup) {
    try {
      await step();
    } catch (error) {
      log(`  cleanup: ${String(error)}`);
    }
  }
}
