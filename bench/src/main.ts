// `pnpm bench [scenario] [--quick] [flags]`: plans the runs, runs them one after another, and
// writes bench/results/results.jsonl (appended), latest.md and latest.png.

import { existsSync, mkdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartSvg, svgToPng } from './chart.js';
import { codeFacts, machineFacts } from './machine.js';
import { USAGE, UsageError, parseArgs, planRuns } from './plan.js';
import { openFileLimit } from './proc.js';
import { findCeiling, markdown, ratios, targetLabel, type ResultLine } from './report.js';
import { prepareDeployment } from './deployment-run.js';
import { runReads } from './reads-run.js';
import { runOne, type DeploymentTarget, type RunResult } from './run.js';
import { assertLoopback } from './services.js';

const distDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(distDir, '../..');

// Where Redis and Postgres are: this machine's services unless told otherwise (loopback only).
const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const POSTGRES_ADMIN_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// The measured services' log level: per-request info logs would measure pino, not the service.
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'warn';
// The api to measure: this tree's build, or another's (an older commit's, for a before/after table).
const API_ENTRY = resolve(process.env['BENCH_API_ENTRY'] ?? join(repoRoot, 'services/api/dist/main.js'));

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  assertLoopback(REDIS_URL);
  assertLoopback(POSTGRES_ADMIN_URL);

  const runs = planRuns(cli);
  const gatewayScript = join(repoRoot, 'services/gateway/dist/main.js');
  if (runs.some((r) => r.target === 'gateway') && !existsSync(gatewayScript)) {
    console.error(
      `${gatewayScript} does not exist: build the gateway (pnpm run build), or measure the ceiling alone with --target ceiling`,
    );
    return 1;
  }

  const machine = machineFacts();
  const code = codeFacts(repoRoot);
  const command = `pnpm bench ${redactKey(process.argv.slice(2)).join(' ')}`.trim();
  const suite = new Date().toISOString();
  const resultsDir = resolve(cli.resultsDir ?? join(repoRoot, 'bench/results'));
  mkdirSync(resultsDir, { recursive: true });
  const limit = openFileLimit();
  console.log(
    `${command}: ${runs.length} run(s); ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, open-file limit ${limit.soft} (hard ${limit.hard})`,
  );

  let deployment: DeploymentTarget | undefined;
  let deploymentCleanup: (() => Promise<void>) | undefined;
  if (cli.deployment) {
    const key = cli.deployment.key ?? process.env['BENCH_DEPLOYMENT_KEY'];
    if (!key) {
      console.error(`deployment needs an administrator key: --key or BENCH_DEPLOYMENT_KEY\n\n${USAGE}`);
      return 2;
    }
    ({ target: deployment, cleanup: deploymentCleanup } = await prepareDeployment(cli.deployment, key, runs, machine));
  }

  const results: RunResult[] = [];
  const lines: ResultLine[] = [];
  let failures = 0;
  for (const [index, options] of runs.entries()) {
    let result: RunResult;
    try {
      result = await (options.kind === 'reads' ? runReads : runOne)(options, {
        repoRoot,
        distDir,
        redisUrl: REDIS_URL,
        postgresAdminUrl: POSTGRES_ADMIN_URL,
        runIndex: index + Math.floor(Date.now() / 1000),
        cores: machine.cores,
        logLevel: LOG_LEVEL,
        apiEntry: API_ENTRY,
        log: (line) => console.log(line),
        deployment,
      });
    } catch (error) {
      failures++;
      console.error(
        `run ${index + 1} (${options.scenario} → ${options.target}, ${options.sockets} sockets) failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }
    results.push(result);
    const line: ResultLine = { suite, label: cli.label, command, machine, code, ...result };
    const ceiling = findCeiling(result, results);
    if (ceiling) line.vsCeiling = ratios(result, ceiling);
    lines.push(line);
    appendFileSync(join(resultsDir, 'results.jsonl'), `${JSON.stringify(line)}\n`);
    console.log(summaryLine(line));
  }

  await deploymentCleanup?.();
  if (lines.length > 0) {
    const md = markdown(lines, { date: suite, machine, code, command });
    console.log(`\n${md}`);
    // latest.* is the last invocation; <scenario>.* the last one of that scenario (README links them).
    const named = cli.quick ? `${cli.scenario}-quick` : cli.scenario;
    writeFileSync(join(resultsDir, 'latest.md'), md);
    writeFileSync(join(resultsDir, `${named}.md`), md);
    if (cli.chart) {
      const subtitle = `${command} · ${suite.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpuModel}, ${machine.cores} cores · ${code.commit.slice(0, 10)}`;
      const svg = chartSvg(lines, subtitle);
      try {
        const png = svgToPng(svg);
        writeFileSync(join(resultsDir, 'latest.png'), png);
        writeFileSync(join(resultsDir, `${named}.png`), png);
        console.log(`wrote ${join(resultsDir, 'latest.png')}`);
      } catch (error) {
        writeFileSync(join(resultsDir, 'latest.svg'), svg);
        console.log(`could not render PNG (${String(error)}); wrote ${join(resultsDir, 'latest.svg')}`);
      }
    }
    console.log(
      `appended ${lines.length} line(s) to ${join(resultsDir, 'results.jsonl')}; wrote ${join(resultsDir, 'latest.md')}`,
    );
  }
  return failures > 0 ? 1 : 0;
}

/** The command line as recorded in results: a --key value never is. */
function redactKey(args: string[]): string[] {
  return args.map((arg, i) =>
    arg.startsWith('--key=') ? '--key=…' : args[i - 1] === '--key' && !arg.startsWith('--') ? '…' : arg,
  );
}

function summaryLine(l: ResultLine): string {
  if (l.reads) {
    const r = l.reads;
    const parts = [
      `→ reads/${targetLabel(l)}`,
      `${Math.round(r.pagesPerSecond)} pages/s`,
      `list p99 ${r.list.p99.toFixed(1)} ms`,
      `history p99 ${r.history.p99.toFixed(1)} ms`,
      `failed ${r.failed}`,
    ];
    if (l.vsCeiling)
      parts.push(
        `vs api ceiling: pages/s ${l.vsCeiling.pagesPerSecond?.toFixed(2) ?? '–'}×, list p99 ${l.vsCeiling.listP99?.toFixed(2) ?? '–'}×, history p99 ${l.vsCeiling.historyP99?.toFixed(2) ?? '–'}×`,
      );
    if (l.warnings.length) parts.push(`warnings: ${l.warnings.join('; ')}`);
    return parts.join(' · ');
  }
  const parts = [
    `→ ${l.scenario}${l.kind === 'e2e' ? ` (${l.params.body})` : ''}/${l.target} N=${l.connect.opened}`,
    `connect ${Math.round(l.connect.perSecond)}/s`,
    `${(l.server.rssPerIdleSocketBytes / 1024).toFixed(2)} KiB/socket`,
  ];
  if (l.events)
    parts.push(
      `${Math.round(l.events.framesPerSecond)} frames/s`,
      `lost ${l.events.missing}`,
      `dup ${l.events.duplicates}`,
    );
  const lat = l.latency?.['new_message'];
  if (lat) parts.push(`p50 ${lat.p50.toFixed(2)} ms`, `p99 ${lat.p99.toFixed(2)} ms`, `max ${lat.max.toFixed(1)} ms`);
  if (l.http) parts.push(`${Math.round(l.http.requestsPerSecond)} POST/s (p99 ${l.http.latency.p99.toFixed(1)} ms)`);
  if (l.vsCeiling && l.kind === 'e2e')
    parts.push(
      `vs ceilings: POST/s ${l.vsCeiling.requestsPerSecond?.toFixed(2) ?? '–'}×, POST p99 ${l.vsCeiling.postP99?.toFixed(2) ?? '–'}×, POST→frame p99 ${l.vsCeiling.p99?.toFixed(2) ?? '–'}×`,
    );
  else if (l.vsCeiling && l.kind === 'idle')
    parts.push(`vs ceiling: RSS/socket ${l.vsCeiling.rssPerIdleSocket?.toFixed(2) ?? '–'}×`);
  else if (l.vsCeiling)
    parts.push(
      `vs ceiling: frames/s ${l.vsCeiling.framesPerSecond?.toFixed(3) ?? '–'}×, p99 ${l.vsCeiling.p99?.toFixed(2) ?? '–'}×`,
    );
  if (l.warnings.length) parts.push(`warnings: ${l.warnings.join('; ')}`);
  return parts.join(' · ');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
