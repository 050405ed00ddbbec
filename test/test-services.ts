import { existsSync } from 'node:fs';

/** Where the tests' Postgres and Redis are, and who provided them. */
export interface TestServices {
  postgresAdminUrl: string;
  redisUrl: string;
  source: string;
  stop(): Promise<void>;
}

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

function dockerEngineMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * TEST_POSTGRES_URL / TEST_REDIS_URL win when set. Otherwise testcontainers starts Postgres and
 * Redis if a Docker engine answers; with no engine (as on CI here) the machine's own services are used.
 */
export async function resolveTestServices(): Promise<TestServices> {
  const configuredPg = process.env.TEST_POSTGRES_URL;
  const configuredRedis = process.env.TEST_REDIS_URL;
  if (configuredPg || configuredRedis) {
    return {
      postgresAdminUrl: configuredPg ?? LOCAL_POSTGRES,
      redisUrl: configuredRedis ?? LOCAL_REDIS,
      source: 'configured (TEST_POSTGRES_URL / TEST_REDIS_URL)',
      stop: () => Promise.resolve(),
    };
  }
  if (dockerEngineMayAnswer()) {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const { RedisContainer } = await import('@testcontainers/redis');
      const [pg, redis] = await Promise.all([
        new PostgreSqlContainer('postgres:16-alpine').withUsername('postgres').withPassword('postgres').start(),
        new RedisContainer('redis:7-alpine').start(),
      ]);
      return {
        postgresAdminUrl: pg.getConnectionUri().replace(/\/[^/]*$/, '/postgres'),
        redisUrl: redis.getConnectionUrl(),
        source: 'testcontainers (Docker engine answered)',
        stop: async () => {
          await Promise.all([pg.stop(), redis.stop()]);
        },
      };
    } catch (error) {
      console.warn(
        `[test services] no Docker engine answered (${(error as Error).message.split('\n')[0]}); falling back to local services`,
      );
    }
  }
  return {
    postgresAdminUrl: LOCAL_POSTGRES,
    redisUrl: LOCAL_REDIS,
    source: 'local services on 127.0.0.1 (no Docker engine)',
    stop: () => Promise.resolve(),
  };
}
