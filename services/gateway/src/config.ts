import { ConfigReader, MIN_SECRET_KEY_LENGTH, SECRET_KEY_PURPOSE, type Env, type Secret } from '@helpdesk/shared';

// The one place the gateway reads its environment (STYLE.md, Configuration). Every variable is
// parsed once, with its default, and a bad value fails the start with every problem named.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GatewayConfig {
  port: number;
  host: string;
  /** Absent in embedded mode, where the bus is in-process; main.ts requires it. */
  redisUrl: string | undefined;
  /** Redis Cluster with sharded pub/sub; redisUrl then lists seed nodes, separated by commas. */
  redisCluster: boolean;
  redisPrefix: string;
  maxPayloadLength: number;
  idleTimeoutSeconds: number;
  maxBackpressureBytes: number;
  maxSocketsPerOrganization: number;
  maxSockets: number;
  shutdownGraceSeconds: number;
  logLevel: LogLevel;
  /** Verifies socket tickets; the api signs them with the same value. */
  secretKey: Secret;
  /** Token bucket per client address for new socket upgrades; a rate of 0 turns it off. */
  connectRatePerIp: number;
  connectBurstPerIp: number;
  /** Proxies in front whose X-Forwarded-For entries are believed; 0 believes none. */
  trustedProxies: number;
  /** Most missed events replayed to one reconnecting socket; more missed gets a resync instead. */
  replayMaxEvents: number;
  /** How long a reconnecting socket's history read may take before it gets a resync instead. */
  replayTimeoutMs: number;
  /** Live bytes held for one socket while its replay is sent; over it, the socket is closed (4008). */
  replayBufferBytes: number;
  /** How long a socket the gateway closes may take to get its close frame out before its connection is cut. */
  closeTimeoutMs: number;
  /** Port of the Prometheus /metrics server main.ts starts; 0 starts none. */
  metricsPort: number;
  metricsHost: string;
  /** The history the api keeps: replay reads treat older entries as gone (the same limits). */
  history: { maxEvents: number; maxAgeMs: number };
}

export interface LoadGatewayConfigOptions {
  /** Distributed mode (main.ts): events come only through Redis, so REDIS_URL is required. */
  requireRedisUrl?: boolean;
}

const MIB = 1024 * 1024;

export function loadGatewayConfig(env: Env = process.env, options: LoadGatewayConfigOptions = {}): GatewayConfig {
  const read = new ConfigReader(env);
  // A Redis Cluster (Redis 7 or later) instead of one Redis: each organization's channel and
  // history live on the shard that owns its slot, and the gateway subscribes with SSUBSCRIBE
  // (sharded pub/sub), so pub/sub traffic grows per shard instead of reaching every node.
  // REDIS_URL may then list several seed nodes, separated by commas; the rest are discovered.
  // The api must be told the same (it publishes with SPUBLISH).
  const redisCluster = read.bool('REDIS_CLUSTER', false);
  const config: GatewayConfig = {
    // TCP port to listen on; 0 picks a free ephemeral port (tests).
    port: read.int('PORT', 8001, 0, 65535),
    // Interface to bind; 0.0.0.0 accepts connections on every IPv4 interface.
    host: read.string('HOST', '0.0.0.0'),
    // Redis carrying events from the api fleet (redis:// or rediss://); required by main.ts.
    // With REDIS_CLUSTER, a comma-separated list of seed nodes' URLs.
    redisUrl: read.redisUrl('REDIS_URL', redisCluster),
    redisCluster,
    redisPrefix: read.redisPrefix(),
    // Largest frame a client may send, in bytes; clients send only pings and small control frames.
    maxPayloadLength: read.int('WS_MAX_PAYLOAD_LENGTH', 1024, 125, 16 * MIB),
    // Seconds of silence before a socket is closed; uWS pings idle sockets before that. 0 disables.
    idleTimeoutSeconds: read.int('WS_IDLE_TIMEOUT_SECONDS', 120, 0, 960),
    // Outgoing bytes a socket may have buffered; a consumer staying over it is closed (code 4008).
    maxBackpressureBytes: read.int('WS_MAX_BACKPRESSURE_BYTES', MIB, 1024, 1024 * MIB),
    // Open sockets one organization may hold on this gateway; more are refused with 429.
    maxSocketsPerOrganization: read.int('WS_MAX_SOCKETS_PER_ORGANIZATION', 10_000, 1),
    // Open sockets this gateway holds in all; more are refused with 503.
    maxSockets: read.int('WS_MAX_SOCKETS', 100_000, 1),
    // Seconds main.ts gives close() on SIGTERM/SIGINT before it exits anyway.
    shutdownGraceSeconds: read.int('SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    // pino log level.
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    // Shared with the api, which signs socket tickets with it; the gateway verifies them without a
    // database. Required, at least 32 characters; never printed.
    secretKey: read.secret('SECRET_KEY', MIN_SECRET_KEY_LENGTH, SECRET_KEY_PURPOSE),
    // New socket upgrades each client address may start per second (a token bucket refilling at
    // this rate); more are refused with 429 and Retry-After. 0 turns the limit off.
    connectRatePerIp: read.int('WS_CONNECT_RATE_PER_IP', 50, 0),
    // Upgrades an address may start at once after being quiet (the bucket's size).
    connectBurstPerIp: read.int('WS_CONNECT_BURST_PER_IP', 200, 1),
    // How many proxies in front of the gateway append to X-Forwarded-For (nginx, an ingress, a
    // load balancer): the client address is the one the outermost of them saw. 0 (off) uses the
    // TCP peer; set it only behind proxies, or clients choose their own address.
    trustedProxies: readTrustedProxies(read, env),
    // Most missed events replayed to a socket that reconnects with ?last_event_id; one that missed
    // more gets a `resync` event instead (refetch over REST). 0 replays nothing.
    replayMaxEvents: read.int('WS_REPLAY_MAX_EVENTS', 1000, 0, 100_000),
    // Milliseconds a reconnecting socket's history read (Redis) may take; past it, or when the read
    // fails, the socket gets a `resync` event and then live events.
    replayTimeoutMs: read.int('WS_REPLAY_TIMEOUT_MS', 2000, 1, 60_000),
    // Live event bytes held for one socket while its replay is being sent; a socket over it is
    // closed like a slow consumer (code 4008).
    replayBufferBytes: read.int('WS_REPLAY_BUFFER_BYTES', MIB, 1024, 1024 * MIB),
    // Milliseconds a socket the gateway closes (a slow consumer, a revoked key) may take to empty
    // what it has buffered, so that its close frame can go out; past it, the connection is cut
    // (the client sees 1006). Bounds how long a client that stopped reading keeps its connection,
    // and the bytes queued for it, instead of uWS's own timeout.
    closeTimeoutMs: read.int('WS_CLOSE_TIMEOUT_MS', 5000, 100, 120_000),
    // Port of the Prometheus endpoint (GET /metrics, helpdesk_gateway_* and process metrics), on
    // its own port so the ingress that faces the internet never routes it (9464, the default of
    // OpenTelemetry's Prometheus exporter). 0 serves no metrics. Two gateways on one host (tests,
    // a laptop) each need a port of their own, or 0: a port in use fails the start.
    metricsPort: read.int('METRICS_PORT', 9464, 0, 65535),
    // Interface of the metrics endpoint; 0.0.0.0 lets Prometheus scrape the pod from elsewhere.
    metricsHost: read.string('METRICS_HOST', '0.0.0.0'),
    // HISTORY_MAX_EVENTS / HISTORY_MAX_AGE_SECONDS: must be the api's values.
    history: read.historyLimits(),
  };
  // uWS aborts the whole process (not a JS exception) on an idle timeout from 1 to 7 seconds.
  if (config.idleTimeoutSeconds > 0 && config.idleTimeoutSeconds < 8) {
    read.problem(
      `WS_IDLE_TIMEOUT_SECONDS=${JSON.stringify(env['WS_IDLE_TIMEOUT_SECONDS'])} must be 0 or from 8 to 960`,
    );
  }
  if (options.requireRedisUrl && config.redisUrl === undefined) {
    read.problem('REDIS_URL is required: the gateway receives events from the api through Redis');
  }
  read.done();
  return config;
}

/** WS_TRUST_PROXY: a count of proxies; `true`/`false` (and on/off) read as 1 and 0. */
function readTrustedProxies(read: ConfigReader, env: Env): number {
  const raw = env['WS_TRUST_PROXY']?.toLowerCase();
  if (raw !== undefined && ['true', 'on', 'yes'].includes(raw)) return 1;
  if (raw !== undefined && ['false', 'off', 'no'].includes(raw)) return 0;
  return read.int('WS_TRUST_PROXY', 0, 0, 10);
}
