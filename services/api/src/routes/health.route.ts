import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/tables.js';

const Status = Type.Object({ status: Type.String() });

const healthRoute: FastifyPluginCallbackTypebox<{ db: Kysely<DB> }> = (app, { db }, done) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: Status } }, config: { public: true } }, () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { hide: true, response: { 200: Status, 503: Status } }, config: { public: true } },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(db);
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'database unreachable' });
      }
    },
  );
  done();
};

export default healthRoute;
