import { inspect } from 'node:util';
import { ConfigError, SECRET_KEY_PURPOSE } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, type GatewayConfig } from './config.js';

const SECRET_KEY = 'a-secret-key-of-at-least-32-characters';

function problemsOf(load: () => GatewayConfig): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadGatewayConfig', () => {
  it('has the documented defaults', () => {
    const config = loadGatewayConfig({ SECRET_KEY });
    expect(config.secretKey.reveal()).toBe(SECRET_KEY);
    expect({ ...config, secretKey: undefined }).toEqual({
      port: 8001,
      host: '0.0.0.0',
      redisUrl: undefined,
      redisCluster: false,
      redisPrefix: 'helpdesk:',
      maxPayloadLength: 1024,
      idleTimeoutSeconds: 120,
      maxBackpressureBytes: 1024 * 1024,
      maxSocketsPerOrganization: 10_000,
      maxSockets: 100_000,
      shutdownGraceSeconds: 10,
      logLevel: 'info',
      secretKey: undefined,
      connectRatePerIp: 50,
      connectBurstPerIp: 200,
      trustedProxies: 0,
      replayMaxEvents: 1000,
      replayTimeoutMs: 2000,
      replayBufferBytes: 1024 * 1024,
      closeTimeoutMs: 5000,
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      history: { maxEvents: 1000, maxAgeMs: 3_600_000 },
    });
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://redis:6379/0',
      REDIS_CLUSTER: 'false',
      REDIS_PREFIX: 'staging:',
      WS_MAX_PAYLOAD_LENGTH: '4096',
      WS_IDLE_TIMEOUT_SECONDS: '0',
      WS_MAX_BACKPRESSURE_BYTES: '65536',
      WS_MAX_SOCKETS_PER_ORGANIZATION: '5',
      WS_MAX_SOCKETS: '50',
      SHUTDOWN_GRACE_SECONDS: '3',
      LOG_LEVEL: 'debug',
      SECRET_KEY,
      WS_CONNECT_RATE_PER_IP: '0',
      WS_CONNECT_BURST_PER_IP: '10',
      WS_TRUST_PROXY: '2',
      WS_REPLAY_MAX_EVENTS: '0',
      WS_REPLAY_TIMEOUT_MS: '250',
      WS_REPLAY_BUFFER_BYTES: '4096',
      WS_CLOSE_TIMEOUT_MS: '750',
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      redisUrl: 'redis://redis:6379/0',
      redisCluster: false,
      redisPrefix: 'staging:',
      maxPayloadLength: 4096,
      idleTimeoutSeconds: 0,
      maxBackpressureBytes: 65536,
      maxSocketsPerOrganization: 5,
      maxSockets: 50,
      shutdownGraceSeconds: 3,
      logLevel: 'debug',
      connectRatePerIp: 0,
      connectBurstPerIp: 10,
      trustedProxies: 2,
      replayMaxEvents: 0,
      replayTimeoutMs: 250,
      replayBufferBytes: 4096,
      closeTimeoutMs: 750,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
    });
  });

  it('reads WS_TRUST_PROXY=true as one proxy and false as none', () => {
    expect(loadGatewayConfig({ SECRET_KEY, WS_TRUST_PROXY: 'true' }).trustedProxies).toBe(1);
    expect(loadGatewayConfig({ SECRET_KEY, WS_TRUST_PROXY: 'off' }).trustedProxies).toBe(0);
  });

  it('requires a SECRET_KEY of at least 32 characters and never prints it', () => {
    expect(problemsOf(() => loadGatewayConfig({}))).toEqual([`SECRET_KEY is required: ${SECRET_KEY_PURPOSE}`]);
    const weak = 'x'.repeat(31);
    const problems = problemsOf(() => loadGatewayConfig({ SECRET_KEY: weak }));
    expect(problems).toEqual(['SECRET_KEY must be at least 32 characters long']);
    expect(problems.join('\n')).not.toContain(weak);
    // Printed by accident (a config object logged whole), it still shows no value.
    const config = loadGatewayConfig({ SECRET_KEY });
    expect(JSON.stringify(config)).not.toContain(SECRET_KEY);
    expect(inspect(config, { depth: 5, showHidden: true })).not.toContain(SECRET_KEY);
    expect(String(config.secretKey)).not.toContain(SECRET_KEY);
  });

  it('reads REDIS_URL as a list of seed nodes with REDIS_CLUSTER, checking each without printing any', () => {
    const seeds = 'redis://:pw@node-a:7000, rediss://node-b:7001';
    const config = loadGatewayConfig({ SECRET_KEY, REDIS_CLUSTER: 'true', REDIS_URL: seeds });
    expect({ cluster: config.redisCluster, url: config.redisUrl }).toEqual({ cluster: true, url: seeds });
    const problems = problemsOf(() =>
      loadGatewayConfig({ SECRET_KEY, REDIS_CLUSTER: 'yes', REDIS_URL: 'redis://:pw@a:7000,http://:pw@b:80,::' }),
    );
    expect(problems).toEqual([
      'REDIS_URL (seed 2 of 3) must be a redis: or rediss: URL',
      'REDIS_URL (seed 3 of 3) is not a valid URL',
    ]);
    // Without REDIS_CLUSTER a list is one (invalid) URL.
    expect(problemsOf(() => loadGatewayConfig({ SECRET_KEY, REDIS_URL: seeds }))).toHaveLength(1);
    expect(problemsOf(() => loadGatewayConfig({ SECRET_KEY, REDIS_CLUSTER: 'sometimes' }))).toEqual([
      'REDIS_CLUSTER="sometimes" must be true or false',
    ]);
  });

  it('requires REDIS_URL only when asked (distributed mode)', () => {
    expect(loadGatewayConfig({ SECRET_KEY }).redisUrl).toBeUndefined();
    expect(problemsOf(() => loadGatewayConfig({ SECRET_KEY }, { requireRedisUrl: true }))).toEqual([
      'REDIS_URL is required: the gateway receives events from the api through Redis',
    ]);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        PORT: '80000',
        REDIS_URL: 'http://redis',
        REDIS_CLUSTER: 'maybe',
        WS_MAX_PAYLOAD_LENGTH: 'big',
        WS_IDLE_TIMEOUT_SECONDS: '5',
        WS_MAX_BACKPRESSURE_BYTES: '1.5',
        WS_MAX_SOCKETS_PER_ORGANIZATION: '0',
        WS_MAX_SOCKETS: '-1',
        SHUTDOWN_GRACE_SECONDS: 'soon',
        LOG_LEVEL: 'loud',
        WS_CONNECT_RATE_PER_IP: '-1',
        WS_CONNECT_BURST_PER_IP: '0',
        WS_TRUST_PROXY: 'maybe',
        WS_REPLAY_MAX_EVENTS: '-1',
        WS_REPLAY_TIMEOUT_MS: '0',
        WS_REPLAY_BUFFER_BYTES: 'lots',
        WS_CLOSE_TIMEOUT_MS: '50',
        METRICS_PORT: '65536',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((problem) => problem.split(/[= ]/)[0]);
    expect(names.sort()).toEqual(
      [
        'LOG_LEVEL',
        'PORT',
        'SECRET_KEY',
        'WS_CONNECT_BURST_PER_IP',
        'WS_CONNECT_RATE_PER_IP',
        'WS_TRUST_PROXY',
        'REDIS_URL',
        'REDIS_CLUSTER',
        'SHUTDOWN_GRACE_SECONDS',
        'WS_IDLE_TIMEOUT_SECONDS',
        'WS_MAX_BACKPRESSURE_BYTES',
        'WS_MAX_PAYLOAD_LENGTH',
        'WS_MAX_SOCKETS',
        'WS_MAX_SOCKETS_PER_ORGANIZATION',
        'WS_REPLAY_BUFFER_BYTES',
        'WS_REPLAY_MAX_EVENTS',
        'WS_REPLAY_TIMEOUT_MS',
        'WS_CLOSE_TIMEOUT_MS',
        'METRICS_PORT',
      ].sort(),
    );
  });
});
