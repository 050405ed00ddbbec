import fp from 'fastify-plugin';
import type { ApiConfig } from '../config.js';
import { WebhookWorker } from '../delivery/webhook-worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Posts `sent` messages to their organization's webhook; nudge it after committing one. */
    deliveries: WebhookWorker;
  }
}

/** The webhook delivery worker; stopped before the relay's last flush, so its events go out. */
export default fp<{ webhooks: ApiConfig['webhooks'] }>(
  (app, { webhooks }, done) => {
    const worker = new WebhookWorker({
      db: app.db,
      relay: app.relay,
      log: app.log.child({ component: 'webhook-deliveries' }),
      batchSize: 20,
      ...webhooks,
    });
    worker.start();
    app.decorate('deliveries', worker);
    app.addHook('onClose', async () => {
      await worker.close();
    });
    done();
  },
  { name: 'deliveries', dependencies: ['database', 'events'] },
);
