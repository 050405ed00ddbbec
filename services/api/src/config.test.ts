import { describe, expect, it } from 'vitest';
import { ConfigError } from '@helpdesk/shared';
import { loadApiConfig as loadWith, loadToolConfig } from './config.js';

// SECRET_KEY is required; every case below starts from an environment that has one.
const SECRET = { SECRET_KEY: 'k'.repeat(32) };
const loadApiConfig = (env: Record<string, string>) => loadWith({ ...SECRET, ...env });

function configError(env: Record<string, string>): ConfigError {
  try {
    loadApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadApiConfig accepted a bad environment');
}

describe('loadApiConfig', () => {
  it('requires SECRET_KEY of at least 32 characters and never prints it', () => {
    expect(() => loadWith({})).toThrow(/SECRET_KEY is required/);
    const short = (() => {
      try {
        loadWith({ SECRET_KEY: 'short-and-secret' });
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('accepted a short SECRET_KEY');
    })();
    expect(short.problems).toEqual(['SECRET_KEY must be at least 32 characters long']);
    expect(short.message).not.toContain('short-and-secret');
    const config = loadApiConfig({ ADMIN_TOKEN: 'a'.repeat(40) });
    expect(JSON.stringify(config)).not.toContain('k'.repeat(32));
    expect(JSON.stringify(config)).not.toContain('a'.repeat(40));
    expect(config.auth.secretKey.reveal()).toBe('k'.repeat(32));
  });

  it('defaults to the embedded mode: PGlite, in-process events, files on disk', () => {
    const config = loadApiConfig({});
    expect(config).toMatchObject({
      port: 8000,
      timeZone: 'UTC',
      publicBaseUrl: undefined,
      database: { kind: 'pglite', dataDir: './.data/pglite' },
      events: { kind: 'in-process' },
      storage: { kind: 'disk', dir: './.data/files' },
      autoMigrate: true,
      limits: { bodyBytes: 1024 * 1024, fileBytes: 25 * 1024 * 1024, messageChars: 10_000 },
    });
  });

  it('selects Postgres, Redis and S3 from their variables', () => {
    const config = loadApiConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/helpdesk',
      REDIS_URL: 'redis://cache:6379',
      S3_ENDPOINT: 'https://s3.example.com:9000',
      S3_ACCESS_KEY: 'key',
      S3_SECRET_KEY: 'secret',
      PUBLIC_BASE_URL: 'https://chat.example.com/',
      TIME_ZONE: 'America/Sao_Paulo',
    });
    expect(config).toMatchObject({
      database: { kind: 'postgres', url: 'postgres://u:p@db:5432/helpdesk', preparedStatements: true },
      events: { kind: 'redis', url: 'redis://cache:6379' },
      storage: {
        kind: 's3',
        endPoint: 's3.example.com',
        port: 9000,
        useSSL: true,
        bucket: 'helpdesk-files',
        pathStyle: true,
      },
      publicBaseUrl: 'https://chat.example.com',
      timeZone: 'America/Sao_Paulo',
      autoMigrate: false,
    });
  });

  it('accepts IANA zone names, refuses anything else with a clear message', () => {
    for (const zone of ['UTC', 'America/Sao_Paulo', 'Europe/Lisbon', 'Asia/Kolkata', 'Etc/GMT+3']) {
      expect(loadApiConfig({ TIME_ZONE: zone }).timeZone).toBe(zone);
    }
    for (const zone of ['Mars/Olympus', 'America/Sao Paulo', '+03:00', '-0300', 'UTC -c search_path=evil']) {
      const error = configError({ TIME_ZONE: zone });
      expect(error.problems).toEqual([
        `TIME_ZONE=${JSON.stringify(zone)} is not an IANA time zone name (such as America/Sao_Paulo or UTC)`,
      ]);
      expect(error.message).toContain('TIME_ZONE');
    }
  });

  it('refuses braces in REDIS_PREFIX (they would break the hash tags of the keys beside a channel)', () => {
    expect(configError({ REDIS_PREFIX: '{hd}:' }).message).toContain('REDIS_PREFIX must not contain "{" or "}"');
    expect(loadApiConfig({ REDIS_PREFIX: 'hd-prod:' }).events.prefix).toBe('hd-prod:');
  });

  it('names every bad variable at once', () => {
    const error = configError({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      TIME_ZONE: 'Mars/Olympus',
      DATABASE_URL: 'mysql://db/helpdesk',
      DATABASE_POOL_SIZE: '0',
      REDIS_URL: 'not a url',
      S3_ENDPOINT: 'http://minio:9000',
      PUBLIC_BASE_URL: 'ftp://files.example.com',
      MAX_BODY_BYTES: '10',
      MAX_FILE_BYTES: '-1',
      MAX_MESSAGE_CHARS: '1.5',
      AUTO_MIGRATE: 'maybe',
      S3_PATH_STYLE: 'sometimes',
    });
    const named = [
      'PORT',
      'LOG_LEVEL',
      'TIME_ZONE',
      'DATABASE_URL',
      'DATABASE_POOL_SIZE',
      'REDIS_URL',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
    ];
    named.push(
      'PUBLIC_BASE_URL',
      'MAX_BODY_BYTES',
      'MAX_FILE_BYTES',
      'MAX_MESSAGE_CHARS',
      'AUTO_MIGRATE',
      'S3_PATH_STYLE',
    );
    expect(error.problems).toHaveLength(named.length);
    for (const name of named) {
      expect(error.problems.filter((p) => p.startsWith(name))).toHaveLength(1);
      expect(error.message).toContain(`  - ${name}`);
    }
  });

  it('reads the outbox, history, webhook and idempotency settings, with defaults', () => {
    expect(loadApiConfig({})).toMatchObject({
      outbox: { batchSize: 500, pollIntervalMs: 1000, retryMaxMs: 5000, retentionSeconds: 86_400 },
      history: { maxEvents: 1000, maxAgeMs: 3_600_000 },
      webhooks: { maxAttempts: 8, retryBaseMs: 1000, retryMaxMs: 300_000, timeoutMs: 10_000, pollIntervalMs: 1000 },
      idempotencyTtlSeconds: 86_400,
    });
    const config = loadApiConfig({
      OUTBOX_BATCH_SIZE: '50',
      OUTBOX_POLL_INTERVAL_MS: '200',
      HISTORY_MAX_EVENTS: '10',
      HISTORY_MAX_AGE_SECONDS: '60',
      WEBHOOK_MAX_ATTEMPTS: '3',
      IDEMPOTENCY_TTL_SECONDS: '600',
    });
    expect(config.outbox).toMatchObject({ batchSize: 50, pollIntervalMs: 200 });
    expect(config.history).toEqual({ maxEvents: 10, maxAgeMs: 60_000 });
    expect(config.webhooks.maxAttempts).toBe(3);
    expect(config.idempotencyTtlSeconds).toBe(600);

    const error = configError({
      OUTBOX_BATCH_SIZE: '0',
      OUTBOX_POLL_INTERVAL_MS: 'soon',
      HISTORY_MAX_EVENTS: '-1',
      HISTORY_MAX_AGE_SECONDS: '0',
      WEBHOOK_MAX_ATTEMPTS: '0',
      WEBHOOK_TIMEOUT_MS: '5',
      IDEMPOTENCY_TTL_SECONDS: '1',
    });
    expect(error.problems.map((p) => p.split('=')[0])).toEqual([
      'OUTBOX_BATCH_SIZE',
      'OUTBOX_POLL_INTERVAL_MS',
      'HISTORY_MAX_EVENTS',
      'HISTORY_MAX_AGE_SECONDS',
      'IDEMPOTENCY_TTL_SECONDS',
      'WEBHOOK_MAX_ATTEMPTS',
      'WEBHOOK_TIMEOUT_MS',
    ]);
  });
});

describe('loadToolConfig', () => {
  it('needs no SECRET_KEY, waits 60 s for the database by default, and names every bad variable at once', () => {
    const config = loadToolConfig({ DATABASE_URL: 'postgres://u:p@db:5432/helpdesk' });
    expect(config).toMatchObject({ migrateWaitSeconds: 60, database: { kind: 'postgres' } });
    expect(loadToolConfig({ MIGRATE_WAIT_SECONDS: '0' }).migrateWaitSeconds).toBe(0);

    let error: unknown;
    try {
      loadToolConfig({ MIGRATE_WAIT_SECONDS: 'a minute', PORT: 'x' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'MIGRATE_WAIT_SECONDS="a minute" must be a whole number from 0 to 3600',
      'PORT="x" must be a whole number from 0 to 65535',
    ]);
  });
});
