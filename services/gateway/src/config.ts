import { ConfigReader, type Env } from '@helpdesk/shared';

// The one place the gateway reads its environment (STYLE.md, Configuration). Every variable is
// parsed once, with its default, and a bad value fails the start with every problem named.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GatewayConfig {
  port: number;
  host: string;
  /** Absent in embedded mode, where the bus is in-process; main.ts requires it. */
  redisUrl: string | undefined;
  redisPrefix: string;
  maxPayloadLength: number;
  idleTimeoutSeconds: number;
  maxBackpressureBytes: number;
  maxSocketsPerOrganization: number;
  maxSockets: number;
  shutdownGraceSeconds: number;
  logLevel: LogLevel;
}

const MIB = 1024 * 1024;

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const read = new ConfigReader(env);
  const config: GatewayConfig = {
    // TCP port to listen on; 0 picks a free ephemeral port (tests).
    port: read.int('PORT', 8001, 0, 65535),
    // Interface to bind; 0.0.0.0 accepts connections on every IPv4 interface.
    host: read.string('HOST', '0.0.0.0'),
    // Redis carrying events from the api fleet (redis:// or rediss://); required by main.ts.
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    // Prefix of every Redis channel, so several deployments (or test runs) can share one Redis.
    redisPrefix: read.string('REDIS_PREFIX', 'helpdesk:'),
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
  };
  // uWS aborts the whole process (not a JS exception) on an idle timeout from 1 to 7 seconds.
  if (config.idleTimeoutSeconds > 0 && config.idleTimeoutSeconds < 8) {
    read.problem(
      `WS_IDLE_TIMEOUT_SECONDS=${JSON.stringify(env['WS_IDLE_TIMEOUT_SECONDS'])} must be 0 or from 8 to 960`,
    );
  }
  read.done();
  return config;
}
