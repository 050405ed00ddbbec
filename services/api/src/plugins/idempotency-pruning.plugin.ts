import fp from 'fastify-plugin';
import { IdempotencyKeyPruner } from '../background/idempotency-key-pruner.js';

/** Expired Idempotency-Keys are deleted in the background while the app runs. */
export default fp(
  (app, _options, done) => {
    const pruner = new IdempotencyKeyPruner(app.db, app.log.child({ component: 'idempotency-pruning' }));
    pruner.start();
    app.addHook('onClose', () => pruner.close());
    done();
  },
  { name: 'idempotency-pruning', dependencies: ['database'] },
);
