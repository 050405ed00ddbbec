import fp from 'fastify-plugin';
import type { EventPublisher } from '@helpdesk/shared';
import { OrganizationEvents } from '../events/organization-events.js';

declare module 'fastify' {
  interface FastifyInstance {
    events: OrganizationEvents;
  }
}

/** The publisher is the app's own: it is closed with the app. */
export default fp<{ publisher: EventPublisher; channelPrefix: string }>(
  (app, { publisher, channelPrefix }, done) => {
    app.decorate('events', new OrganizationEvents(publisher, channelPrefix));
    app.addHook('onClose', async () => {
      await publisher.close();
    });
    done();
  },
  { name: 'events' },
);
