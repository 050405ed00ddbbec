import fp from 'fastify-plugin';
import type { EventPublisher, KeyRevocationStore } from '@helpdesk/shared';
import type { ApiConfig } from '../config.js';
import { KeyRevocationAnnouncer } from '../events/key-revocation-announcer.js';
import { OutboxRelay } from '../events/outbox-relay.js';
import { AdvisoryLockLeadership, SingleProcessLeadership, type RelayLeadership } from '../events/relay-leadership.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Publishes committed outbox events; nudge it after a commit that added some. */
    relay: OutboxRelay;
    /** Tells the gateways a key was revoked, so they close its sockets. */
    keyRevocations: KeyRevocationAnnouncer;
  }
}

export interface EventsPluginOptions {
  publisher: EventPublisher;
  keyRevocations: KeyRevocationStore;
  revokedKeyMemoryMs: number;
  channelPrefix: string;
  database: ApiConfig['database'];
  outbox: ApiConfig['outbox'];
  /** How long the last publish at close may take (part of the shutdown grace period). */
  closeTimeoutMs: number;
}

/**
 * The outbox relay and the publisher it uses. The publisher is the app's own: it is closed with
 * the app, after the relay has published once more what was committed.
 */
export default fp<EventsPluginOptions>(
  async (app, options) => {
    const { publisher, database, outbox } = options;
    const log = app.log.child({ component: 'outbox-relay' });
    let relay: OutboxRelay | undefined = undefined;
    const leadership: RelayLeadership =
      database.kind === 'postgres'
        ? new AdvisoryLockLeadership({
            url: database.url,
            log,
            queryTimeoutMs: Math.max(5000, outbox.pollIntervalMs),
            events: { onLeader: () => relay?.nudge(), onNotify: () => relay?.nudge() },
          })
        : new SingleProcessLeadership();
    relay = new OutboxRelay({
      db: app.db,
      publisher,
      channelPrefix: options.channelPrefix,
      leadership,
      log,
      onPublished: (ageSeconds, publishSeconds) => app.metrics.observePublishDelays(ageSeconds, publishSeconds),
      ...outbox,
    });
    // The first try for the lock happens before the api answers, so a lone replica leads at once.
    await leadership.tick();
    relay.start();
    app.metrics.trackOutboxRelay(relay);
    app.decorate('relay', relay);
    const keyRevocations = new KeyRevocationAnnouncer(
      options.keyRevocations,
      options.revokedKeyMemoryMs,
      app.log.child({ component: 'key-revocations' }),
    );
    app.decorate('keyRevocations', keyRevocations);
    app.addHook('onClose', async () => {
      keyRevocations.close();
      await relay.close(options.closeTimeoutMs);
      await publisher.close();
    });
  },
  { name: 'events', dependencies: ['database', 'metrics'] },
);
