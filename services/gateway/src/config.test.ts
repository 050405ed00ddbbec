import { ConfigError } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('has the documented defaults', () => {
    expect(loadGatewayConfig({})).toEqual({
      port: 8001,
      host: '0.0.0.0',
      redisUrl: undefined,
      redisPrefix: 'helpdesk:',
      maxPayloadLength: 1024,
      idleTimeoutSeconds: 120,
      maxBackpressureBytes: 1024 * 1024,
      maxSocketsPerOrganization: 10_000,
      maxSockets: 100_000,
      shutdownGraceSeconds: 10,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://redis:6379/0',
      REDIS_PREFIX: 'staging:',
      WS_MAX_PAYLOAD_LENGTH: '4096',
      WS_IDLE_TIMEOUT_SECONDS: '0',
      WS_MAX_BACKPRESSURE_BYTES: '65536',
      WS_MAX_SOCKETS_PER_ORGANIZATION: '5',
      WS_MAX_SOCKETS: '50',
      SHUTDOWN_GRACE_SECONDS: '3',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      redisUrl: 'redis://redis:6379/0',
      redisPrefix: 'staging:',
      maxPayloadLength: 4096,
      idleTimeoutSeconds: 0,
      maxBackpressureBytes: 65536,
      maxSocketsPerOrganization: 5,
      maxSockets: 50,
      shutdownGraceSeconds: 3,
      logLevel: 'debug',
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        PORT: '80000',
        REDIS_URL: 'http://redis',
        WS_MAX_PAYLOAD_LENGTH: 'big',
        WS_IDLE_TIMEOUT_SECONDS: '5',
        WS_MAX_BACKPRESSURE_BYTES: '1.5',
        WS_MAX_SOCKETS_PER_ORGANIZATION: '0',
        WS_MAX_SOCKETS: '-1',
        SHUTDOWN_GRACE_SECONDS: 'soon',
        LOG_LEVEL: 'loud',
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
        'REDIS_URL',
        'SHUTDOWN_GRACE_SECONDS',
        'WS_IDLE_TIMEOUT_SECONDS',
        'WS_MAX_BACKPRESSURE_BYTES',
        'WS_MAX_PAYLOAD_LENGTH',
        'WS_MAX_SOCKETS',
        'WS_MAX_SOCKETS_PER_ORGANIZATION',
      ].sort(),
    );
  });
});
