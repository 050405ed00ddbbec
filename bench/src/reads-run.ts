// One reads run (issue 12): the api, or the api ceiling, on a data set where every organization
// has a page of help desks and every help desk a page of messages; many agents read the first
// page of the list and of histories back to back. Measures pages/s and each page's latency.

import { randomBytes } from 'node:crypto';
import { startApiUnderTest, type ApiRunContext } from './api-under-test.js';
import { Children } from './run-children.js';
import { seedHistories } from './fixtures.js';
import { Histogram } from './histogram.js';
import type { ReadReport } from './ipc.js';
import type { RunOptions } from './plan.js';
import {
  cpuPercent,
  machinePercent,
  pidsNamed,
  sampleMachineCpu,
  sampleProcess,
  sampleProcesses,
  type ProcSample,
} from './proc.js';
import { runCleanup, scaleSummary, type RunResult } from './run.js';

/** `limit` when the api pages its lists (issue 11), else undefined: then the data set is one page. */
async function probeLimit(apiUrl: string, organization: string, key: string, pageSize: number) {
  const response = await fetch(`${apiUrl}/api/help-desks/?organization=${organization}&limit=1`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const body: unknown = response.ok ? await response.json() : undefined;
  return Array.isArray(body) && body.length === 1 ? pageSize : undefined;
}

export async function runReads(
  options: RunOptions,
  ctx: ApiRunContext & { cores: number; log(line: string): void },
): Promise<RunResult> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const orgNames = Array.from({ length: options.orgs }, (_, i) => `bench-${runId}-${i}`);
  const warnings: string[] = [];
  ctx.log(
    `run ${runId}: reads → ${options.target === 'ceiling' ? 'api ceiling' : 'api'}: ${options.orgs} orgs × ${options.helpDesks} help desks × ${options.pageSize} messages, ${options.concurrency} agents`,
  );
  const cleanup: Array<() => Promise<void>> = [];
  const children = new Children(ctx.distDir);
  cleanup.unshift(() => children.stopAll());
  try {
    let limit: number | undefined;
    const api = await startApiUnderTest(
      options,
      ctx,
      { prefix: `hdbench:${runId}:`, secretKey: randomBytes(32).toString('base64url'), pageSize: options.pageSize },
      orgNames,
      cleanup,
      async ({ url, databaseUrl, fixtures }) => {
        await seedHistories(databaseUrl, orgNames, options.pageSize, options.payloadBytes);
        limit = await probeLimit(url, orgNames[0]!, fixtures.apiKeys[0]!, options.pageSize);
      },
    );
    if (limit === undefined)
      warnings.push(`the api does not page (no limit parameter): every list and history is read whole, one page`);

    const driver = await children.driver();
    const groups: Record<string, number[]> = {
      api: [api.process.pid],
      driver: [driver.pid],
      postgres: pidsNamed('postgres'),
      orchestrator: [process.pid],
    };
    const sampleAll = () =>
      Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, sampleProcesses(pids)])) as Record<
        string,
        ProcSample
      >;
    const apiIdle = sampleProcess(api.process.pid);
    let from = sampleAll();
    let machineFrom = sampleMachineCpu();
    const warmupTimer = setTimeout(() => {
      // Pools open their connections on demand: by the end of the warm-up every backend exists.
      groups['postgres'] = pidsNamed('postgres');
      from = sampleAll();
      machineFrom = sampleMachineCpu();
    }, options.warmupSeconds * 1000);
    driver.send({
      cmd: 'run',
      job: {
        mode: 'read',
        apiUrl: api.url,
        organizations: orgNames,
        helpDesks: api.fixtures.helpDesks,
        apiKeys: api.fixtures.apiKeys,
        concurrency: Math.max(1, Math.round(options.concurrency)),
        warmupMs: options.warmupSeconds * 1000,
        durationMs: options.durationSeconds * 1000,
        limit,
      },
    });
    let report: ReadReport;
    try {
      report = await driver.next('read-done', (options.warmupSeconds + options.durationSeconds) * 1000 + 120_000);
    } finally {
      clearTimeout(warmupTimer);
    }
    const to = sampleAll();
    const machineTo = sampleMachineCpu();
    const figures = (k: string) => ({ cpuPercent: cpuPercent(from[k]!, to[k]!), rssBytes: to[k]!.rssBytes });
    const ours = Object.keys(groups).reduce((sum, k) => sum + cpuPercent(from[k]!, to[k]!), 0);
    const otherCpuPercent = Math.max(0, machinePercent(machineFrom, machineTo, ctx.cores, 'tasks') - ours);
    if (otherCpuPercent > 15)
      warnings.push(
        `other processes on the machine used ${Math.round(otherCpuPercent)}% CPU during the measurement: figures are disturbed`,
      );
    if (report.failed > 0) warnings.push(`${report.failed} reads failed: ${JSON.stringify(report.errors)}`);

    const empty = new Histogram().summary();
    return {
      scenario: options.scenario,
      kind: options.kind,
      target: options.target,
      startedAt: new Date().toISOString(),
      params: { ...options, instances: 1, workers: 0, sourceAddresses: 0 },
      connect: { requested: 0, opened: 0, failed: 0, errors: {}, seconds: 0, perSecond: 0, handshakeMs: empty },
      server: { instances: 1, rssBaselineBytes: 0, rssIdleBytes: 0, rssPerIdleSocketBytes: 0, idleCpuPercent: 0 },
      reads: {
        limit: limit ?? null,
        pagesPerSecond: report.measuredPages / (report.measuredMs / 1000),
        sent: report.sent,
        failed: report.failed,
        errors: report.errors,
        list: scaleSummary(Histogram.from(report.list).summary(), 1 / 1000),
        history: scaleSummary(Histogram.from(report.history).summary(), 1 / 1000),
        listBytes: report.listBytes,
        historyBytes: report.historyBytes,
      },
      api: { ...figures('api'), rssIdleBytes: apiIdle?.rssBytes ?? 0 },
      postgres: figures('postgres'),
      generator: { workersCpuPercent: 0, driverCpuPercent: figures('driver').cpuPercent },
      machineBusyPercent: machinePercent(machineFrom, machineTo, ctx.cores),
      irqPercent: machinePercent(machineFrom, machineTo, ctx.cores, 'irq'),
      stealPercent: machinePercent(machineFrom, machineTo, ctx.cores, 'steal'),
      otherCpuPercent,
      after: { open: 0, droppedAfterOpen: 0, closeCodes: {} },
      warnings,
    };
  } finally {
    await runCleanup(cleanup, (line) => ctx.log(line));
  }
}
