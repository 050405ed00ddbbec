import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Cluster, Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { MIGRATIONS } from '../db/migrations/index.js';
import { MIGRATION_TABLE } from '../db/migrator.js';
import type { DB } from '../db/tables.js';

const Status = Type.Object({ status: Type.String() });

const READINESS = ['ok', 'unavailable'] as const;
const DATABASE_STATES = ['ok', 'unreachable'] as const;
/** `unknown`: the database did not answer, so the schema could not be read. */
const SCHEMA_STATES = ['ok', 'not migrated', 'unknown'] as const;
const REDIS_STATES = ['ok', 'unreachable', 'not configured'] as const;

const Readiness = Type.Object({
  status: Type.Union(READINESS.map((s) => Type.Literal(s))),
  checks: Type.Object({
    database: Type.Union(DATABASE_STATES.map((s) => Type.Literal(s))),
    schema: Type.Union(SCHEMA_STATES.map((s) => Type.Literal(s))),
    redis: Type.Union(REDIS_STATES.map((s) => Type.Literal(s))),
  }),
});
type Checks = Static<typeof Readiness>['checks'];

/** The migration the code expects; a schema without it lacks tables or columns the queries use. */
const LATEST_MIGRATION = Object.keys(MIGRATIONS).at(-1) ?? '';
const UNDEFINED_TABLE = '42P01';

export interface HealthRouteOptions {
  db: Kysely<DB>;
  /** The rate-limit counters' connection, to the same Redis as the event bus; none in embedded mode. */
  redis: Redis | Cluster | undefined;
  /**
   * Another readiness of the process, asked first (the embedded gateway's, as its own /readyz
   * answers: `draining`, `events unavailable`): the reason it is not ready, or undefined.
   */
  notReadyBecause?: (() => string | undefined) | undefined;
}

/**
 * /healthz: the process answers. /readyz: this replica can serve requests, which needs the
 * database and its schema migrated to the latest migration this code knows (a pod started before
 * its migration Job finished stays out of the Service until the Job is done).
 *
 * Redis is reported but never fails readiness: while it is down, writes still commit with their
 * events into the transactional outbox, which the relay publishes once Redis is back; taking
 * every replica out of the Service would turn a delay of events into an outage of the api.
 *
 * Draining needs no flag here: on close (SIGTERM) Fastify stops listening, so the kubelet's next
 * probe is refused, and answers 503 to any request still arriving on an open connection, before
 * the requests in flight have finished.
 */
const healthRoute: FastifyPluginCallbackTypebox<HealthRouteOptions> = (app, { db, redis, notReadyBecause }, done) => {
  // Migrations only move forward while this code runs, so once seen current the schema stays so.
  let schemaCurrent = false;

  const checkDatabase = async (): Promise<Pick<Checks, 'database' | 'schema'>> => {
    try {
      if (schemaCurrent) {
        await sql`select 1`.execute(db);
        return { database: 'ok', schema: 'ok' };
      }
      const { rows } = await sql<{ migrated: boolean }>`
        select exists (select 1 from ${sql.table(MIGRATION_TABLE)} where name = ${LATEST_MIGRATION}) as migrated
      `.execute(db);
      schemaCurrent = rows[0]?.migrated === true;
      return { database: 'ok', schema: schemaCurrent ? 'ok' : 'not migrated' };
    } catch (error) {
      // No migration table yet: the database answered, and was never migrated.
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return { database: 'ok', schema: 'not migrated' };
      return { database: 'unreachable', schema: 'unknown' };
    }
  };

  app.get('/healthz', { schema: { hide: true, response: { 200: Status } }, config: { public: true } }, () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    {
      schema: { hide: true, response: { 200: Readiness, 503: Type.Union([Readiness, Status]) } },
      config: { public: true },
    },
    async (_request, reply) => {
      const otherwise = notReadyBecause?.();
      if (otherwise !== undefined) return reply.code(503).send({ status: otherwise });
      const checks: Checks = {
        ...(await checkDatabase()),
        // ioredis' own connection state: no round trip per probe.
        redis: redis === undefined ? 'not configured' : redis.status === 'ready' ? 'ok' : 'unreachable',
      };
      const ready = checks.database === 'ok' && checks.schema === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  );
  done();
};

export default healthRoute;
