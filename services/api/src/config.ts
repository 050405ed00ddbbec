import { tmpdir } from 'node:os';
import type { S3FileStoreOptions } from './storage/s3-file-store.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  ConfigReader,
  DEFAULT_PAGINATION_MAX_LIMIT,
  MAX_TICKET_TTL_SECONDS,
  MIN_SECRET_KEY_LENGTH,
  SECRET_KEY_PURPOSE,
  Secret,
  type Env,
} from '@helpdesk/shared';

export interface ApiConfig {
  host: string;
  port: number;
  logLevel: string;
  /** Absolute origin file URLs start with; unset: where the api listens (never a request header). */
  publicBaseUrl: string | undefined;
  /** Time zone of the timestamps' offsets in every answer and event (CONTRACT.md). */
  timeZone: string;
  database:
    | {
        kind: 'postgres';
        url: string;
        poolSize: number;
        /** Run queries as named (prepared) statements; off for poolers that cannot keep them. */
        preparedStatements: boolean;
      }
    | { kind: 'pglite'; dataDir: string };
  events: { kind: 'redis'; url: string; prefix: string; cluster: boolean } | { kind: 'in-process'; prefix: string };
  storage: ({ kind: 's3' } & S3FileStoreOptions) | { kind: 'disk'; dir: string };
  /**
   * Uploads are spooled under here while their size limit is checked, then moved into the store:
   * each process in a folder of its own, made at start and removed at stop (storage/upload-spool.ts).
   */
  uploadSpoolDir: string;
  /** The agent console's build, served at /console/; unset: the built @helpdesk/console package. */
  consoleDir: string | undefined;
  /**
   * How many proxies in front append to X-Forwarded-For (Fastify trustProxy as a hop count): the
   * client is the address the outermost of them saw. Counted, not matched by address range, so a
   * client on a private network cannot pass itself off as a proxy (issue 13, item 3).
   */
  trustProxy: number;
  /** Run migrations at start (default: on with PGlite, off with Postgres where a Job runs them). */
  autoMigrate: boolean;
  limits: {
    /** Largest JSON or form body, in bytes (multipart bodies are bounded by the file limit). */
    bodyBytes: number;
    /** Largest uploaded file, in bytes. */
    fileBytes: number;
    /** Longest message text, in characters. */
    messageChars: number;
    /** Largest request head (request line and header fields), in bytes: Node's parser answers 431 past it. */
    headerBytes: number;
    /** Bytes of files one organization may keep (413 past it); 0: no quota. */
    storageBytesPerOrganization: number;
  };
  shutdownGraceSeconds: number;
  auth: {
    /** Signs socket tickets; gateways verify them with the same value. */
    secretKey: Secret;
    /** Bootstraps an administrator key with this value at start (automation, embedded quick start). */
    adminToken: Secret | undefined;
    ticketTtlSeconds: number;
    /**
     * Owners of valid keys kept in each replica, so a request needs no key lookup in the database;
     * revocations reach every replica's cache through the bus. 0 seconds or 0 keys: off.
     */
    keyCache: { ttlSeconds: number; maxKeys: number };
  };
  rateLimit: {
    /** Requests one key may make per window; 0 turns it off. */
    max: number;
    windowSeconds: number;
    /** Requests with a missing or invalid key one client address may make per window; 0: no limit. */
    authFailuresMax: number;
  };
  /** GET /metrics (Prometheus) on its own port, never behind the public ingress; port 0: off. */
  metrics: { host: string; port: number };
  /** Origins allowed to call the api from a browser (CORS); empty: no cross-origin access. */
  corsOrigins: string[];
  /** The relay that publishes committed outbox events to the bus (issue 4, item 1). */
  outbox: {
    /** Events published per bus round trip. */
    batchSize: number;
    /** How often the relay looks for unpublished events besides being nudged after each commit. */
    pollIntervalMs: number;
    /** Longest wait between retries while the bus or the database fails (backoff doubles up to it). */
    retryMaxMs: number;
    /** Published events are deleted from the outbox after this long. */
    retentionSeconds: number;
  };
  /** How much of each organization's events the bus keeps for reconnecting sockets. */
  history: { maxEvents: number; maxAgeMs: number };
  /** How long an Idempotency-Key's first answer is kept for retries (send- and receive-message). */
  idempotencyTtlSeconds: number;
  /** Cursor pagination of the help-desk list and of histories (issue 11): the largest `limit`. */
  pagination: { maxLimit: number };
  /** Outbound delivery of `sent` messages to an organization's webhook (issue 4, item 4). */
  webhooks: {
    /** Attempts before a message is `failed` (the first one included). */
    maxAttempts: number;
    /** Wait before the second attempt; it doubles each time (with jitter), up to retryMaxMs. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** How long one POST may take before it counts as a failed attempt. */
    timeoutMs: number;
    /** How often due deliveries are looked for (besides right after a send). */
    pollIntervalMs: number;
    /**
     * Accept webhook URLs of loopback, link-local and private addresses, and deliver to them. Off:
     * refused when set, and at each delivery on the address connected to (issue 13, item 8).
     */
    allowPrivateAddresses: boolean;
  };
}

/** Reads and validates the api's environment once; throws ConfigError naming every bad variable. */
export interface LoadApiConfigOptions {
  /** Command-line tools (migrate, create-admin) sign no tickets, so they do not need SECRET_KEY. */
  secretKeyOptional?: boolean;
  /** A reader that already read a tool's own variables, so one ConfigError names every bad one. */
  reader?: ConfigReader;
}

export function loadApiConfig(env: Env = process.env, options: LoadApiConfigOptions = {}): ApiConfig {
  const read = options.reader ?? new ConfigReader(env);
  const dataDir = read.string('DATA_DIR', './.data');

  const databaseUrl = read.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  // REDIS_CLUSTER: a Redis Cluster with sharded pub/sub (SPUBLISH); REDIS_URL then lists seed
  // nodes separated by commas. The gateways must be told the same.
  const redisCluster = read.bool('REDIS_CLUSTER', false);
  const redisUrl = read.redisUrl('REDIS_URL', redisCluster);
  const redisPrefix = read.redisPrefix();
  const s3Endpoint = read.url('S3_ENDPOINT', ['http:', 'https:']);

  let storage: ApiConfig['storage'] = { kind: 'disk', dir: read.string('FILES_DIR', `${dataDir}/files`) };
  if (s3Endpoint !== undefined) {
    const endpoint = safeUrl(s3Endpoint);
    const accessKey = read.optionalString('S3_ACCESS_KEY');
    const secretKey = read.optionalString('S3_SECRET_KEY');
    if (accessKey === undefined) read.problem('S3_ACCESS_KEY is required when S3_ENDPOINT is set');
    if (secretKey === undefined) read.problem('S3_SECRET_KEY is required when S3_ENDPOINT is set');
    storage = {
      kind: 's3',
      endPoint: endpoint?.hostname ?? '',
      port: endpoint?.port ? Number(endpoint.port) : undefined,
      useSSL: endpoint?.protocol === 'https:',
      accessKey: accessKey ?? '',
      secretKey: secretKey ?? '',
      bucket: read.string('S3_BUCKET', 'helpdesk-files'),
      region: read.string('S3_REGION', 'us-east-1'),
      pathStyle: read.bool('S3_PATH_STYLE', true),
    };
  }

  const publicBaseUrl = read.url('PUBLIC_BASE_URL', ['http:', 'https:']);
  const adminToken = read.optionalString('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 32)
    read.problem('ADMIN_TOKEN must be at least 32 characters long');
  const timeZone = read.string('TIME_ZONE', 'UTC');
  if (!isKnownTimeZone(timeZone)) {
    read.problem(
      `TIME_ZONE=${JSON.stringify(timeZone)} is not an IANA time zone name (such as America/Sao_Paulo or UTC)`,
    );
  }

  const config: ApiConfig = {
    host: read.string('HOST', '0.0.0.0'),
    port: read.int('PORT', 8000, 0, 65535),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    publicBaseUrl: publicBaseUrl?.replace(/\/+$/, ''),
    timeZone,
    database:
      databaseUrl !== undefined
        ? {
            kind: 'postgres',
            url: databaseUrl,
            poolSize: read.int('DATABASE_POOL_SIZE', 10, 1, 1000),
            // PgBouncer in transaction mode keeps them only from 1.21 on, with max_prepared_statements.
            preparedStatements: read.bool('DATABASE_PREPARED_STATEMENTS', true),
          }
        : { kind: 'pglite', dataDir: `${dataDir}/pglite` },
    events:
      redisUrl !== undefined
        ? { kind: 'redis', url: redisUrl, prefix: redisPrefix, cluster: redisCluster }
        : { kind: 'in-process', prefix: redisPrefix },
    storage,
    uploadSpoolDir: read.string('UPLOAD_SPOOL_DIR', join(tmpdir(), 'helpdesk-uploads')),
    consoleDir: read.optionalString('CONSOLE_DIR') ?? builtConsoleDir(),
    trustProxy: read.int('TRUST_PROXY', 0, 0, 10),
    autoMigrate: read.bool('AUTO_MIGRATE', databaseUrl === undefined),
    limits: {
      bodyBytes: read.int('MAX_BODY_BYTES', 1024 * 1024, 1024),
      fileBytes: read.int('MAX_FILE_BYTES', 25 * 1024 * 1024, 1),
      messageChars: read.int('MAX_MESSAGE_CHARS', 10_000, 1),
      // Node's own default; a proxy in front (nginx, an Ingress) usually allows less.
      headerBytes: read.int('MAX_HEADER_BYTES', 16_384, 1024, 1024 * 1024),
      storageBytesPerOrganization: read.int('MAX_STORAGE_BYTES_PER_ORGANIZATION', 0, 0),
    },
    shutdownGraceSeconds: read.int('SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    auth: {
      secretKey:
        options.secretKeyOptional === true && !env.SECRET_KEY
          ? new Secret('')
          : read.secret('SECRET_KEY', MIN_SECRET_KEY_LENGTH, SECRET_KEY_PURPOSE),
      adminToken: adminToken === undefined ? undefined : new Secret(adminToken),
      ticketTtlSeconds: read.int('WS_TICKET_TTL_SECONDS', 60, 5, MAX_TICKET_TTL_SECONDS),
      keyCache: {
        ttlSeconds: read.int('API_KEY_CACHE_SECONDS', 60, 0, 86_400),
        maxKeys: read.int('API_KEY_CACHE_MAX_KEYS', 10_000, 0),
      },
    },
    rateLimit: {
      max: read.int('RATE_LIMIT_MAX', 1200, 0),
      windowSeconds: read.int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3600),
      authFailuresMax: read.int('RATE_LIMIT_AUTH_FAILURES', 60, 0),
    },
    metrics: { host: read.string('METRICS_HOST', '0.0.0.0'), port: read.int('METRICS_PORT', 9464, 0, 65535) },
    corsOrigins: (read.optionalString('CORS_ORIGINS') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
    outbox: {
      // One Redis MULTI per batch; a backlog after an outage drains this many events per round trip.
      batchSize: read.int('OUTBOX_BATCH_SIZE', 500, 1, 10_000),
      // The relay is told right after every commit (other replicas' by a NOTIFY after theirs);
      // the poll is the safety net for a lost nudge, and the leader's liveness check.
      pollIntervalMs: read.int('OUTBOX_POLL_INTERVAL_MS', 1000, 10, 60_000),
      retryMaxMs: read.int('OUTBOX_RETRY_MAX_MS', 5000, 10, 300_000),
      retentionSeconds: read.int('OUTBOX_RETENTION_SECONDS', 86_400, 60, 365 * 86_400),
    },
    // Per organization, what a reconnecting socket can be replayed from (shared with the gateways).
    history: read.historyLimits(),
    idempotencyTtlSeconds: read.int('IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    pagination: {
      maxLimit: read.int('PAGINATION_MAX_LIMIT', DEFAULT_PAGINATION_MAX_LIMIT, 1, 10_000),
    },
    webhooks: {
      // With the defaults, the last of 8 attempts comes about 2 minutes after the first.
      maxAttempts: read.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: read.int('WEBHOOK_RETRY_BASE_MS', 1000, 1, 3_600_000),
      retryMaxMs: read.int('WEBHOOK_RETRY_MAX_MS', 300_000, 1, 86_400_000),
      timeoutMs: read.int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
      pollIntervalMs: read.int('WEBHOOK_POLL_INTERVAL_MS', 1000, 10, 60_000),
      allowPrivateAddresses: read.bool('WEBHOOK_ALLOW_PRIVATE', false),
    },
  };
  read.done();
  return config;
}

/** The dist/ folder of the @helpdesk/console package the api was installed with, if there is one. */
function builtConsoleDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@helpdesk/console/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

function isKnownTimeZone(zone: string): boolean {
  // Offsets ("+03:00") are refused: newer Node accepts them, but Postgres reads them with POSIX's
  // inverted sign, so answers would carry the opposite offset. A zone name says what is meant.
  if (/^[+-]/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The api's configuration plus what only the command-line tools read. */
export interface ToolConfig extends ApiConfig {
  /**
   * How long `pnpm migrate` keeps trying to reach the database before it gives up: a migration
   * Job or compose service may start before Postgres accepts connections. 0: one try.
   */
  migrateWaitSeconds: number;
}

/** The configuration of command-line tools (migrate, create-admin), from the process environment. */
export function loadToolConfig(env: Env = process.env): ToolConfig {
  const read = new ConfigReader(env);
  const migrateWaitSeconds = read.int('MIGRATE_WAIT_SECONDS', 60, 0, 3600);
  return { ...loadApiConfig(env, { secretKeyOptional: true, reader: read }), migrateWaitSeconds };
}
