import fp from 'fastify-plugin';
import { boundPort, listeningOrigin } from '../http/public-origin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The origin file URLs start with: configured, never taken from a request (http/public-origin.ts). */
    publicOrigin(): string;
  }
}

export interface PublicOriginOptions {
  /** PUBLIC_BASE_URL, without a trailing slash. */
  configured: string | undefined;
  /** Where the api itself listens (HOST, PORT): the origin when nothing else is known. */
  host: string;
  port: number;
}

export default fp<PublicOriginOptions>(
  (app, { configured, host, port }, done) => {
    let fixed = configured;
    app.decorate('publicOrigin', () => {
      if (fixed !== undefined) return fixed;
      const bound = boundPort(app.server.address());
      const origin = listeningOrigin(host, bound ?? port);
      // Once listening, the port is known for good: server.address() is a system call per request.
      if (bound !== undefined) fixed = origin;
      return origin;
    });
    done();
  },
  { name: 'public-origin' },
);
