// The outputs of an invocation: a JSON line per run, a Markdown table, and the comparison with
// the ceiling server measured with the same parameters.

import type { MachineFacts, CodeFacts } from './machine.js';
import type { RunResult } from './run.js';

export interface ResultLine extends RunResult {
  suite: string;
  label: string | undefined;
  command: string;
  machine: MachineFacts;
  code: CodeFacts;
  /** Gateway ÷ ceiling, same parameters, same invocation (gateway runs only). */
  vsCeiling?: Ratios;
}

export interface Ratios {
  framesPerSecond?: number;
  p99?: number;
  p50?: number;
  rssPerIdleSocket?: number;
  connectPerSecond?: number;
  targetCpu?: number;
  /** End to end: send-message/s done, and the POST's own p99 (the api against the api ceiling). */
  requestsPerSecond?: number;
  postP99?: number;
  /** reads: pages/s, and each kind of page's p99 (the api against the api ceiling). */
  pagesPerSecond?: number;
  listP99?: number;
  historyP99?: number;
}

function sameParams(a: RunResult, b: RunResult): boolean {
  const keys = [
    'scenario',
    'sockets',
    'orgs',
    'distribution',
    'rate',
    'durationSeconds',
    'payloadBytes',
    'concurrency',
    'instances',
    'body',
    'fileBytes',
    'helpDesks',
    'pageSize',
  ] as const;
  return keys.every((k) => (k === 'scenario' ? a.scenario === b.scenario : a.params[k] === b.params[k]));
}

export function findCeiling(run: RunResult, all: readonly RunResult[]): RunResult | undefined {
  if (run.target !== 'gateway') return undefined;
  // The latest one: with --repeat, ceiling and gateway runs alternate and pair up.
  return all.filter((r) => r.target === 'ceiling' && sameParams(run, r)).at(-1);
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b !== 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : undefined;

export function ratios(gateway: RunResult, ceiling: RunResult): Ratios {
  return {
    framesPerSecond: ratio(gateway.events?.framesPerSecond, ceiling.events?.framesPerSecond),
    p99: ratio(gateway.latency?.['new_message']?.p99, ceiling.latency?.['new_message']?.p99),
    p50: ratio(gateway.latency?.['new_message']?.p50, ceiling.latency?.['new_message']?.p50),
    rssPerIdleSocket: ratio(gateway.server.rssPerIdleSocketBytes, ceiling.server.rssPerIdleSocketBytes),
    connectPerSecond: ratio(gateway.connect.perSecond, ceiling.connect.perSecond),
    targetCpu: ratio(gateway.server.load?.cpuPercent, ceiling.server.load?.cpuPercent),
    requestsPerSecond: ratio(gateway.http?.requestsPerSecond, ceiling.http?.requestsPerSecond),
    postP99: ratio(gateway.http?.latency.p99, ceiling.http?.latency.p99),
    pagesPerSecond: ratio(gateway.reads?.pagesPerSecond, ceiling.reads?.pagesPerSecond),
    listP99: ratio(gateway.reads?.list.p99, ceiling.reads?.list.p99),
    historyP99: ratio(gateway.reads?.history.p99, ceiling.reads?.history.p99),
  };
}

/** End to end, `gateway` is the product (api + gateway) and `ceiling` the bare path (api ceiling + uWS ceiling). */
export function targetLabel(l: RunResult): string {
  if (l.target === 'deployment') return 'deployment';
  const name =
    l.kind === 'e2e'
      ? l.target === 'gateway'
        ? 'api + gateway'
        : 'ceilings'
      : l.kind === 'reads'
        ? l.target === 'gateway'
          ? 'api'
          : 'api ceiling'
        : l.target;
  return `${name}${l.server.instances > 1 ? ` ×${l.server.instances}` : ''}`;
}

const n0 = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
const n1 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1));
const n2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(2));
const x2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const mib = (b: number | undefined) => (b === undefined ? '–' : (b / 1024 / 1024).toFixed(0));

export function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** The ceiling run of the same invocation, parameters and repetition as `l`. */
function pairedCeiling(lines: readonly ResultLine[], l: ResultLine): ResultLine | undefined {
  return lines.find(
    (c) =>
      c.target === 'ceiling' && c.suite === l.suite && c.params.repetition === l.params.repetition && sameParams(c, l),
  );
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function markdown(
  lines: readonly ResultLine[],
  meta: { date: string; machine: MachineFacts; code: CodeFacts; command: string },
): string {
  const out: string[] = [];
  out.push(`# Benchmark results`);
  out.push('');
  out.push(`- date: ${meta.date}`);
  out.push(`- command: \`${meta.command}\``);
  out.push(
    `- machine: ${meta.machine.cpuModel}, ${meta.machine.cores} cores, ${(meta.machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${meta.machine.kernel}, Node ${meta.machine.node}, open-file limit ${meta.machine.openFileLimit.soft}`,
  );
  out.push(`- code: ${meta.code.commit.slice(0, 12)}${meta.code.dirty ? ' (with uncommitted changes)' : ''}`);
  out.push(`- load generator, Redis, Postgres and the measured processes share the machine's cores`);

  const idle = lines.filter((l) => l.kind === 'idle');
  if (idle.length) {
    out.push('', '## Idle sockets', '');
    out.push(
      table(
        [
          'target',
          'sockets',
          'opened',
          'failed',
          'connect/s',
          'handshake p99 ms',
          'RSS before MiB',
          'RSS idle MiB',
          'RSS per socket KiB',
          'idle CPU %',
          'dropped',
          'vs ceiling: RSS/socket, connect/s',
        ],
        idle.map((l) => [
          `${l.target}${l.server.instances > 1 ? ` ×${l.server.instances}` : ''}`,
          n0(l.params.sockets),
          n0(l.connect.opened),
          n0(l.connect.failed),
          n0(l.connect.perSecond),
          n1(l.connect.handshakeMs.p99),
          mib(l.server.rssBaselineBytes),
          mib(l.server.rssIdleBytes),
          n2(l.server.rssPerIdleSocketBytes / 1024),
          n1(l.server.idleCpuPercent),
          n0(l.after.droppedAfterOpen),
          l.vsCeiling ? `${x2(l.vsCeiling.rssPerIdleSocket)}, ${x2(l.vsCeiling.connectPerSecond)}` : '',
        ]),
      ),
    );
  }

  const fanout = lines.filter((l) => l.kind === 'fanout');
  if (fanout.length) {
    out.push('', '## Fan-out (events published straight to Redis)', '');
    out.push(
      table(
        [
          'scenario',
          'target',
          'sockets',
          'orgs',
          'events/s/org',
          'frame B',
          'frames/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'lost',
          'dup',
          'target CPU %',
          'target RSS MiB',
          'KiB/socket',
          'workers CPU %',
          'machine busy %',
          'other CPU %',
          'vs ceiling: frames/s, p99',
        ],
        fanout.map((l) => {
          const lat = l.latency?.['new_message'];
          return [
            l.scenario,
            `${l.target}${l.server.instances > 1 ? ` ×${l.server.instances}` : ''}`,
            n0(l.connect.opened),
            n0(l.params.orgs),
            n1(l.params.rate),
            n0(l.events?.frameBytes),
            n0(l.events?.framesPerSecond),
            n2(lat?.p50),
            n2(lat?.p90),
            n2(lat?.p99),
            n2(lat?.p999),
            n2(lat?.max),
            n0(l.events?.missing),
            n0(l.events?.duplicates),
            n1(l.server.load?.cpuPercent),
            mib(l.server.load?.rssBytes),
            n2(l.server.rssPerIdleSocketBytes / 1024),
            n1(l.generator?.workersCpuPercent),
            n0(l.machineBusyPercent),
            n0(l.otherCpuPercent),
            l.vsCeiling ? `${x2(l.vsCeiling.framesPerSecond)}, ${x2(l.vsCeiling.p99)}` : '',
          ];
        }),
      ),
    );
  }

  const e2e = lines.filter((l) => l.kind === 'e2e');
  if (e2e.length) {
    out.push('', '## End to end (POST /api/send-message/ → Postgres → Redis → sockets)', '');
    out.push(
      table(
        [
          'target',
          'body',
          'sockets',
          'orgs',
          'POST/s asked',
          'POST/s done',
          'POST p50 ms',
          'POST p99 ms',
          'failed',
          'frames/s',
          'POST→frame p50 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'lost',
          'dup',
          'api CPU %',
          'api RSS MiB',
          'Postgres CPU %',
          'target CPU %',
          'workers CPU %',
          'driver CPU %',
          'machine busy %',
          'other CPU %',
          'vs ceilings: POST/s, POST p99, POST→frame p99',
        ],
        e2e.map((l) => {
          const lat = l.latency?.['new_message'];
          return [
            targetLabel(l),
            l.params.body === 'multipart' ? `multipart (${n0(l.params.fileBytes)} B file)` : l.params.body,
            n0(l.connect.opened),
            n0(l.params.orgs),
            l.params.rate === 0 ? `max (${l.params.concurrency} in flight)` : n0(l.params.rate),
            n0(l.http?.requestsPerSecond),
            n2(l.http?.latency.p50),
            n2(l.http?.latency.p99),
            n0(l.http?.failed),
            n0(l.events?.framesPerSecond),
            n2(lat?.p50),
            n2(lat?.p99),
            n2(lat?.p999),
            n2(lat?.max),
            n0(l.events?.missing),
            n0(l.events?.duplicates),
            n1(l.api?.cpuPercent),
            mib(l.api?.rssBytes),
            n1(l.postgres?.cpuPercent),
            n1(l.server.load?.cpuPercent),
            n1(l.generator?.workersCpuPercent),
            n1(l.generator?.driverCpuPercent),
            n0(l.machineBusyPercent),
            n0(l.otherCpuPercent),
            l.vsCeiling
              ? `${x2(l.vsCeiling.requestsPerSecond)}, ${x2(l.vsCeiling.postP99)}, ${x2(l.vsCeiling.p99)}`
              : '',
          ];
        }),
      ),
    );
  }

  const reads = lines.filter((l) => l.kind === 'reads');
  if (reads.length) {
    out.push('', '## Reads (first page of the help-desk list and of a history, agents reading back to back)', '');
    out.push(
      table(
        [
          'target',
          'orgs',
          'help desks/org',
          'page',
          'agents',
          'pages/s',
          'list p50 ms',
          'list p99 ms',
          'history p50 ms',
          'history p99 ms',
          'list KiB',
          'history KiB',
          'failed',
          'api CPU %',
          'Postgres CPU %',
          'driver CPU %',
          'machine busy %',
          'other CPU %',
          'vs api ceiling: pages/s, list p99, history p99',
        ],
        reads.map((l) => [
          targetLabel(l),
          n0(l.params.orgs),
          n0(l.params.helpDesks),
          l.reads?.limit == null ? `${l.params.pageSize} (whole list)` : `limit=${l.reads.limit}`,
          n0(l.params.concurrency),
          n0(l.reads?.pagesPerSecond),
          n2(l.reads?.list.p50),
          n2(l.reads?.list.p99),
          n2(l.reads?.history.p50),
          n2(l.reads?.history.p99),
          n1((l.reads?.listBytes ?? 0) / 1024),
          n1((l.reads?.historyBytes ?? 0) / 1024),
          n0(l.reads?.failed),
          n1(l.api?.cpuPercent),
          n1(l.postgres?.cpuPercent),
          n1(l.generator?.driverCpuPercent),
          n0(l.machineBusyPercent),
          n0(l.otherCpuPercent),
          l.vsCeiling
            ? `${x2(l.vsCeiling.pagesPerSecond)}, ${x2(l.vsCeiling.listP99)}, ${x2(l.vsCeiling.historyP99)}`
            : '',
        ]),
      ),
    );
    const pairs = reads.filter((l) => l.vsCeiling);
    if (pairs.length) {
      out.push('', '## api ÷ api ceiling, reads (with --repeat the median of the pairs)', '');
      const ceilings = pairs.map((l) => pairedCeiling(lines, l));
      out.push(
        table(
          [
            'pairs',
            'pages/s ratio',
            'list p99 ratio',
            'history p99 ratio',
            'api pages/s',
            'ceiling pages/s',
            'api list / history p99 ms',
            'ceiling list / history p99 ms',
          ],
          [
            [
              String(pairs.length),
              x2(median(pairs.map((l) => l.vsCeiling?.pagesPerSecond))),
              x2(median(pairs.map((l) => l.vsCeiling?.listP99))),
              x2(median(pairs.map((l) => l.vsCeiling?.historyP99))),
              n0(median(pairs.map((l) => l.reads?.pagesPerSecond))),
              n0(median(ceilings.map((c) => c?.reads?.pagesPerSecond))),
              `${n2(median(pairs.map((l) => l.reads?.list.p99)))} / ${n2(median(pairs.map((l) => l.reads?.history.p99)))}`,
              `${n2(median(ceilings.map((c) => c?.reads?.list.p99)))} / ${n2(median(ceilings.map((c) => c?.reads?.history.p99)))}`,
            ],
          ],
        ),
      );
    }
  }

  const apiPairs = lines.filter((l) => l.vsCeiling && l.kind === 'e2e');
  if (apiPairs.length) {
    out.push(
      '',
      '## api ÷ ceilings, end to end (api + gateway against api ceiling + uWS ceiling; with --repeat the median of the pairs)',
      '',
    );
    const groups = new Map<string, ResultLine[]>();
    for (const l of apiPairs) {
      const key = `${l.scenario}|${l.params.body}|${l.params.sockets}|${l.params.orgs}|${l.params.rate}`;
      groups.set(key, [...(groups.get(key) ?? []), l]);
    }
    out.push(
      table(
        [
          'scenario',
          'body',
          'sockets',
          'POST/s asked',
          'pairs',
          'POST/s ratio',
          'POST p99 ratio',
          'POST→frame p99 ratio',
          'api POST/s',
          'ceiling POST/s',
          'api POST p99 ms',
          'ceiling POST p99 ms',
          'api POST→frame p99 ms',
          'ceiling POST→frame p99 ms',
          'lost (api)',
        ],
        [...groups.values()].map((g) => {
          const first = g[0]!;
          const ceilings = g.map((l) => pairedCeiling(lines, l));
          return [
            first.scenario,
            first.params.body,
            n0(first.params.sockets),
            first.params.rate === 0 ? 'max' : String(first.params.rate),
            String(g.length),
            x2(median(g.map((l) => l.vsCeiling?.requestsPerSecond))),
            x2(median(g.map((l) => l.vsCeiling?.postP99))),
            x2(median(g.map((l) => l.vsCeiling?.p99))),
            n0(median(g.map((l) => l.http?.requestsPerSecond))),
            n0(median(ceilings.map((c) => c?.http?.requestsPerSecond))),
            n2(median(g.map((l) => l.http?.latency.p99))),
            n2(median(ceilings.map((c) => c?.http?.latency.p99))),
            n2(median(g.map((l) => l.latency?.['new_message']?.p99))),
            n2(median(ceilings.map((c) => c?.latency?.['new_message']?.p99))),
            n0(g.reduce((n, l) => n + (l.events?.missing ?? 0), 0)),
          ];
        }),
      ),
    );
  }

  const pairs = lines.filter((l) => l.vsCeiling && l.kind === 'fanout');
  if (pairs.length) {
    out.push('', '## Gateway ÷ ceiling, fan-out (same parameters; with --repeat the median of the pairs)', '');
    const groups = new Map<string, ResultLine[]>();
    for (const l of pairs) {
      const key = `${l.scenario}|${l.params.sockets}|${l.params.orgs}|${l.params.rate}`;
      groups.set(key, [...(groups.get(key) ?? []), l]);
    }
    out.push(
      table(
        [
          'scenario',
          'sockets',
          'orgs',
          'rate',
          'pairs',
          'frames/s ratio',
          'p50 ratio',
          'p99 ratio',
          'target CPU ratio',
          'gateway p99 ms',
          'ceiling p99 ms',
          'lost (gateway)',
        ],
        [...groups.values()].map((g) => {
          const first = g[0]!;
          const ceilings = g.map((l) => pairedCeiling(lines, l));
          return [
            first.scenario,
            n0(first.params.sockets),
            n0(first.params.orgs),
            first.params.rate === 0 ? 'max' : String(first.params.rate),
            String(g.length),
            x2(median(g.map((l) => l.vsCeiling?.framesPerSecond))),
            x2(median(g.map((l) => l.vsCeiling?.p50))),
            x2(median(g.map((l) => l.vsCeiling?.p99))),
            x2(median(g.map((l) => l.vsCeiling?.targetCpu))),
            n2(median(g.map((l) => l.latency?.['new_message']?.p99))),
            n2(median(ceilings.map((c) => c?.latency?.['new_message']?.p99))),
            n0(g.reduce((n, l) => n + (l.events?.missing ?? 0), 0)),
          ];
        }),
      ),
    );
  }

  const warned = lines.filter((l) => l.warnings.length > 0);
  if (warned.length) {
    out.push('', '## Warnings', '');
    for (const l of warned)
      for (const w of l.warnings)
        out.push(
          `- ${l.scenario} → ${targetLabel(l)}${l.kind === 'reads' ? '' : `, ${l.params.sockets} sockets`}: ${w}`,
        );
  }
  out.push('');
  return out.join('\n');
}
