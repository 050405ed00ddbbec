import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { DB } from '../db/tables.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<DB>;
  }
}

/** Decorates the app with the database; the app owns it and destroys it on close. */
export default fp<{ db: Kysely<DB> }>(
  (app, { db }, done) => {
    app.decorate('db', db);
    app.addHook('onClose', async () => {
      await db.destroy();
    });
    done();
  },
  { name: 'database' },
);
