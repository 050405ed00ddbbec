// Command line, presets and the plan of runs they expand to. Pure: no I/O, so it is unit-tested.

export const SCENARIOS = [
  'idle',
  'fanout',
  'tenants',
  'e2e',
  'e2e-max',
  'reads',
  'ceiling',
  'deployment',
  'suite',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/**
 * What one run measures: sockets only, Redis-fed fan-out, REST → Postgres → Redis → sockets, or
 * REST reads (no sockets).
 */
export type RunKind = 'idle' | 'fanout' | 'e2e' | 'reads';
/** `deployment`: an existing deployment given by --url, nothing started here. */
export type TargetName = 'gateway' | 'ceiling' | 'deployment';
export type Distribution = 'even' | 'mixed';
/** e2e: how each send-message carries its fields: a JSON body, or multipart with a small file. */
export type BodyKind = 'json' | 'multipart';
export const BODY_KINDS: readonly BodyKind[] = ['json', 'multipart'];

export interface RunOptions {
  scenario: Exclude<ScenarioName, 'suite'>;
  kind: RunKind;
  target: TargetName;
  sockets: number;
  orgs: number;
  distribution: Distribution;
  /** fanout: events per second per organization; e2e: POSTs per second in all (0 = as fast as possible). */
  rate: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Length of the message text (the user's payload); the frame is larger by the envelope. */
  payloadBytes: number;
  /** e2e: concurrent HTTP requests in flight at most. */
  concurrency: number;
  /** e2e: the send-message body. */
  body: BodyKind;
  /** e2e, multipart: size of the attached file in bytes. */
  fileBytes: number;
  /** e2e: help desks per organization the POSTs rotate over; reads: per organization, the list's page. */
  helpDesks: number;
  /** reads: the page asked for (`limit`), and the messages each help desk holds. */
  pageSize: number;
  /** Load-generator processes holding the sockets (0 = chosen from the socket count). */
  workers: number;
  /** Target processes sharing the sockets (0 = one, or as many as the fd limit needs). */
  instances: number;
  /** Handshakes in flight per worker while connecting. */
  connectConcurrency: number;
  /** Seconds to wait for the last frames after the driver stops. */
  drainSeconds: number;
  /** api DATABASE_POOL_SIZE. */
  apiPoolSize: number;
  /** The WebSocket client the workers use. */
  client: 'raw' | 'ws';
  /** Which of the --repeat runs with these parameters this is (0-based). */
  repetition: number;
}

export interface CliOptions {
  scenario: ScenarioName;
  quick: boolean;
  targets: TargetName[] | undefined;
  overrides: Partial<Record<keyof RunOptions, number | string>>;
  socketsList: number[] | undefined;
  rateList: number[] | undefined;
  bodyList: BodyKind[] | undefined;
  resultsDir: string | undefined;
  chart: boolean;
  label: string | undefined;
  /** Runs per parameter set and target, alternating targets (ratios are then medians of pairs). */
  repeat: number;
  help: boolean;
  /** The deployment scenario's target: its REST and socket origins, an administrator key. */
  deployment: DeploymentOptions | undefined;
}

export interface DeploymentOptions {
  urls: string[];
  wsUrls: string[];
  /** An administrator key (ADMIN_TOKEN or an administrator API key); also BENCH_DEPLOYMENT_KEY. */
  key: string | undefined;
  /** Organizations are named <prefix>-0 … <prefix>-(K-1), created when missing, reused when there. */
  orgPrefix: string;
  sourceAddresses: string[];
}

const NUMERIC_FLAGS: Record<string, keyof RunOptions> = {
  '--orgs': 'orgs',
  '--duration': 'durationSeconds',
  '--warmup': 'warmupSeconds',
  '--payload-bytes': 'payloadBytes',
  '--concurrency': 'concurrency',
  '--help-desks': 'helpDesks',
  '--workers': 'workers',
  '--instances': 'instances',
  '--connect-concurrency': 'connectConcurrency',
  '--drain': 'drainSeconds',
  '--api-pool-size': 'apiPoolSize',
  '--file-bytes': 'fileBytes',
  '--page-size': 'pageSize',
};

export const USAGE = `usage: node bench/dist/main.js [scenario] [--quick] [flags]

scenarios (presets; flags override any value):
  suite     (default) idle, fanout, tenants, e2e, e2e-max, reads; with --quick idle, fanout, e2e (about a minute)
  fanout    sockets over 10 organizations, events published straight to Redis
  tenants   many organizations with a few sockets each, events straight to Redis
  idle      open N sockets, hold them: connect rate, memory per socket
  e2e       POST /api/send-message/ at a rate -> Postgres -> Redis -> sockets
  e2e-max   POST as fast as --concurrency allows: the api's maximum send-message/s, JSON and multipart
  reads     agents reading the first page of the help-desk list and of a history, against the api ceiling
  ceiling   the fanout preset against the reference uWS server only
  deployment  load an existing deployment (--url required): its REST API makes or reuses the
            organizations and help desks, sockets get tickets from POST /api/ws-tickets/,
            POSTs at --rate; connect rate, frames/s, POST->frame percentiles, loss, duplicates

flags:
  --quick                 small sizes, short runs
  --target T              gateway | ceiling | both (default: both). End to end, ceiling is the bare path:
                          the api ceiling (api-ceiling-server.ts) feeding the uWS ceiling
  --sockets N[,N...]      sockets; a list runs once per value (for throughput/p99 against N)
  --orgs K                organizations
  --distribution D        even | mixed (a few large organizations, many small: Zipf)
  --rate R[,R...]         fanout/tenants: events/s per organization; e2e: POSTs/s in all (max = unbounded)
  --duration S            measured seconds of load (after --warmup S)
  --payload-bytes B       message text length in bytes (the frame adds the envelope)
  --concurrency C         e2e: HTTP requests in flight at most
  --body B[,B]            e2e: json | multipart (with a --file-bytes file) | both
  --file-bytes B          e2e, multipart: the attached file's size (default 1024)
  --help-desks H          e2e, reads: help desks per organization
  --page-size P           reads: the page asked for, and the messages per help desk (default 50)
  --workers W             load-generator processes (default: from N and the fd limit)
  --instances G           target processes sharing the sockets (default: 1, more only if the fd limit needs)
  --connect-concurrency X handshakes in flight per worker
  --drain S               seconds to wait for the last frames
  --api-pool-size P       the api's Postgres pool
  --client raw|ws         the workers' WebSocket client: the bench's minimal one (default) or the ws package
  --results-dir DIR       where results.jsonl, latest.md and latest.png go (default bench/results)
  --repeat R              run each parameter set R times, targets alternating (ratios: median of pairs)
  --label TEXT            free text stored with the results
  --no-chart              skip the chart

deployment:
  --url URL[,URL]         the deployment's REST origin(s), http:// or https:// (POSTs go round-robin)
  --ws-url URL[,URL]      its socket origin(s), ws:// or wss:// (default: --url with ws/wss)
  --key KEY               an administrator key (or BENCH_DEPLOYMENT_KEY)
  --org-prefix P          organizations P-0 … P-(K-1), created when missing (default loadtest)
  --source-addresses A,B  local addresses to spread the sockets over (one address reaches one
                          destination through at most the ephemeral port range's size of sockets)
`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const cli: CliOptions = {
    scenario: 'suite',
    quick: false,
    targets: undefined,
    overrides: {},
    socketsList: undefined,
    rateList: undefined,
    bodyList: undefined,
    resultsDir: undefined,
    chart: true,
    label: undefined,
    repeat: 1,
    help: false,
    deployment: undefined,
  };
  const deployment: DeploymentOptions = {
    urls: [],
    wsUrls: [],
    key: undefined,
    orgPrefix: 'loadtest',
    sourceAddresses: [],
  };
  let scenarioSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--')))
        throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') cli.help = true;
    else if (flag === '--quick') cli.quick = true;
    else if (flag === '--no-chart') cli.chart = false;
    else if (flag === '--target') {
      const v = value();
      if (v === 'both') cli.targets = ['ceiling', 'gateway'];
      else if (v === 'gateway' || v === 'ceiling') cli.targets = [v];
      else throw new UsageError(`--target must be gateway, ceiling or both, not ${JSON.stringify(v)}`);
    } else if (flag === '--sockets') cli.socketsList = numberList(flag, value(), false);
    else if (flag === '--rate') cli.rateList = numberList(flag, value(), true);
    else if (flag === '--body') {
      const v = value();
      const kinds = v === 'both' ? [...BODY_KINDS] : v.split(',');
      for (const kind of kinds)
        if (!(BODY_KINDS as readonly string[]).includes(kind))
          throw new UsageError(`--body must be json, multipart or both, not ${JSON.stringify(v)}`);
      cli.bodyList = kinds as BodyKind[];
    } else if (flag === '--distribution') {
      const v = value();
      if (v !== 'even' && v !== 'mixed')
        throw new UsageError(`--distribution must be even or mixed, not ${JSON.stringify(v)}`);
      cli.overrides.distribution = v;
    } else if (flag === '--client') {
      const v = value();
      if (v !== 'raw' && v !== 'ws') throw new UsageError(`--client must be raw or ws, not ${JSON.stringify(v)}`);
      cli.overrides.client = v;
    } else if (flag === '--results-dir') cli.resultsDir = value();
    else if (flag === '--label') cli.label = value();
    else if (flag === '--url') deployment.urls = urlList(flag, value(), ['http:', 'https:']);
    else if (flag === '--ws-url') deployment.wsUrls = urlList(flag, value(), ['ws:', 'wss:']);
    else if (flag === '--key') deployment.key = value();
    else if (flag === '--org-prefix') {
      deployment.orgPrefix = value();
      if (!/^[A-Za-z0-9_-]{1,50}$/.test(deployment.orgPrefix))
        throw new UsageError('--org-prefix: 1-50 letters, digits, _ or -');
    } else if (flag === '--source-addresses') deployment.sourceAddresses = value().split(',');
    else if (flag === '--repeat') cli.repeat = Math.max(1, Math.round(nonNegative(flag, value())));
    else if (flag !== undefined && flag in NUMERIC_FLAGS)
      cli.overrides[NUMERIC_FLAGS[flag]!] = nonNegative(flag, value());
    else if (!flag?.startsWith('-') && !scenarioSeen && (SCENARIOS as readonly string[]).includes(flag ?? '')) {
      cli.scenario = flag as ScenarioName;
      scenarioSeen = true;
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (cli.scenario === 'deployment') {
    // Load goes to someone's servers only when they are named: no default target.
    if (deployment.urls.length === 0)
      throw new UsageError('deployment needs an explicit --url (http:// or https://) of the deployment to load');
    if (deployment.wsUrls.length === 0) deployment.wsUrls = deployment.urls.map((u) => u.replace(/^http/, 'ws'));
    cli.deployment = deployment;
  } else if (deployment.urls.length > 0 || deployment.wsUrls.length > 0)
    throw new UsageError('--url and --ws-url belong to the deployment scenario');
  return cli;
}

function urlList(flag: string, raw: string, protocols: string[]): string[] {
  return raw.split(',').map((part) => {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new UsageError(`${flag}: ${JSON.stringify(part)} is not a URL`);
    }
    if (!protocols.includes(url.protocol))
      throw new UsageError(`${flag}: ${JSON.stringify(part)} must start with ${protocols.join(' or ')}//`);
    return url.origin;
  });
}

export class UsageError extends Error {}

function nonNegative(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number ≥ 0, not ${JSON.stringify(raw)}`);
  return n;
}

function numberList(flag: string, raw: string, allowMax: boolean): number[] {
  return raw.split(',').map((part) => {
    if (allowMax && part === 'max') return 0;
    const n = nonNegative(flag, part);
    if (n === 0 && !allowMax) throw new UsageError(`${flag} must be > 0`);
    return n;
  });
}

const BASE: Omit<RunOptions, 'scenario' | 'kind' | 'target'> = {
  sockets: 5000,
  orgs: 10,
  distribution: 'even',
  rate: 5,
  durationSeconds: 20,
  warmupSeconds: 3,
  payloadBytes: 200,
  concurrency: 32,
  body: 'json',
  fileBytes: 1024,
  helpDesks: 20,
  pageSize: 50,
  workers: 0,
  instances: 0,
  connectConcurrency: 200,
  drainSeconds: 5,
  apiPoolSize: 10,
  client: 'raw',
  repetition: 0,
};

interface Preset {
  kind: RunKind;
  targets: TargetName[];
  sockets: number[];
  /** e2e: the bodies to send, one run (pair) each. */
  bodies?: BodyKind[];
  values: Partial<RunOptions>;
}

function preset(name: Exclude<ScenarioName, 'suite'>, quick: boolean): Preset {
  // The ceiling first, so each gateway run's result line can carry its ratios to it.
  const both: TargetName[] = ['ceiling', 'gateway'];
  switch (name) {
    case 'fanout':
      return quick
        ? { kind: 'fanout', targets: both, sockets: [1000, 4000], values: { durationSeconds: 5, warmupSeconds: 1 } }
        : { kind: 'fanout', targets: both, sockets: [1000, 5000, 10000, 20000], values: {} };
    case 'ceiling':
      return { ...preset('fanout', quick), targets: ['ceiling'] };
    case 'tenants':
      return quick
        ? {
            kind: 'fanout',
            targets: both,
            sockets: [1000],
            values: { orgs: 200, rate: 2, durationSeconds: 5, warmupSeconds: 1 },
          }
        : { kind: 'fanout', targets: both, sockets: [5000], values: { orgs: 1000, rate: 2 } };
    case 'idle':
      return quick
        ? {
            kind: 'idle',
            targets: both,
            sockets: [2000],
            values: { orgs: 20, distribution: 'mixed', durationSeconds: 1, warmupSeconds: 0 },
          }
        : {
            kind: 'idle',
            targets: both,
            sockets: [10000, 50000],
            values: { orgs: 100, distribution: 'mixed', durationSeconds: 10, warmupSeconds: 0 },
          };
    // Every POST makes three events for each socket of its organization: over 10 organizations,
    // 500 POST/s to 5,000 sockets would be 750k frames/s, more than two shared cores can receive.
    // Many organizations of mixed sizes (POSTs spread evenly over them) keep it near 15k frames/s.
    case 'e2e':
      return quick
        ? {
            kind: 'e2e',
            targets: ['gateway'],
            sockets: [1000],
            values: { orgs: 100, distribution: 'mixed', rate: 200, durationSeconds: 5, warmupSeconds: 1 },
          }
        : { kind: 'e2e', targets: both, sockets: [5000], values: { orgs: 500, distribution: 'mixed', rate: 500 } };
    // Issue 12: many agents reading; each organization has a page of help desks, each of them a
    // page of messages, so the first page is the whole list whether or not the api pages.
    case 'reads':
      return {
        kind: 'reads',
        targets: both,
        sockets: [0],
        values: quick
          ? { orgs: 4, helpDesks: 50, concurrency: 64, durationSeconds: 5, warmupSeconds: 1 }
          : { orgs: 10, helpDesks: 50, concurrency: 64, durationSeconds: 15 },
      };
    case 'deployment':
      return {
        kind: 'e2e',
        targets: ['deployment'],
        sockets: quick ? [200] : [1000],
        values: quick
          ? { orgs: 4, helpDesks: 5, rate: 20, durationSeconds: 5, warmupSeconds: 1, drainSeconds: 10 }
          : { orgs: 10, helpDesks: 5, rate: 100, durationSeconds: 30, drainSeconds: 10 },
      };
    // Against the api ceiling, JSON and multipart (issue 12): the api's ratio to a bare server.
    case 'e2e-max':
      return quick
        ? {
            kind: 'e2e',
            targets: both,
            sockets: [100],
            bodies: [...BODY_KINDS],
            values: { rate: 0, concurrency: 64, durationSeconds: 5, warmupSeconds: 1 },
          }
        : {
            kind: 'e2e',
            targets: both,
            sockets: [100],
            bodies: [...BODY_KINDS],
            values: { rate: 0, concurrency: 64, durationSeconds: 15 },
          };
  }
}

/** Expands the command line into the runs to do, in order (each target measured with the same parameters). */
export function planRuns(cli: CliOptions): RunOptions[] {
  const suite: Array<Exclude<ScenarioName, 'suite'>> = cli.quick
    ? ['idle', 'fanout', 'e2e']
    : ['idle', 'fanout', 'tenants', 'e2e', 'e2e-max', 'reads'];
  const scenarios = cli.scenario === 'suite' ? suite : [cli.scenario];
  const runs: RunOptions[] = [];
  for (const scenario of scenarios) {
    const p = preset(scenario, cli.quick);
    const base: Omit<RunOptions, 'scenario' | 'kind' | 'target'> = { ...BASE, ...p.values };
    for (const [key, value] of Object.entries(cli.overrides)) (base as Record<string, unknown>)[key] = value;
    const targets = cli.targets ?? p.targets;
    const socketsList = p.kind === 'reads' ? p.sockets : (cli.socketsList ?? p.sockets);
    const rateList = cli.rateList ?? [base.rate];
    const bodyList = p.kind === 'e2e' ? (cli.bodyList ?? p.bodies ?? [base.body]) : [base.body];
    for (const sockets of socketsList) {
      for (const rate of rateList) {
        for (const body of bodyList) {
          for (let repetition = 0; repetition < cli.repeat; repetition++) {
            for (const target of targets)
              runs.push({ ...base, scenario, kind: p.kind, target, sockets, rate, body, repetition });
          }
        }
      }
    }
  }
  return runs;
}

/**
 * Sockets per organization. `even` splits evenly; `mixed` follows Zipf (the i-th largest gets a
 * share proportional to 1/i), so a few organizations are large and many are small. Every
 * organization gets at least one socket while there are enough; the total is exactly `sockets`.
 */
export function socketsPerOrganization(sockets: number, orgs: number, distribution: Distribution): number[] {
  if (orgs <= 0) throw new Error('at least one organization');
  const weights = Array.from({ length: orgs }, (_, i) => (distribution === 'even' ? 1 : 1 / (i + 1)));
  const floor = sockets >= orgs ? 1 : 0;
  const rest = sockets - floor * orgs;
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * rest);
  const counts = exact.map((x) => floor + Math.floor(x));
  let left = sockets - counts.reduce((a, b) => a + b, 0);
  // Largest remainders first; ties to the earlier (larger) organization.
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % orgs, left--) counts[order[k]![1]]! += 1;
  return counts;
}

/**
 * Splits `total` items over `parts` as evenly as possible, in order (the first parts get one more).
 */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
