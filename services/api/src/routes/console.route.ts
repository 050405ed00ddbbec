import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';

export interface ConsoleRouteOptions {
  /** The console's build (packages/console/dist); undefined or missing: /console/ says it is not built. */
  dir: string | undefined;
  /** What the console checks before sending (a file over the limit is refused before its upload). */
  limits: { fileBytes: number; messageChars: number };
}

export const CONSOLE_PREFIX = '/console/';

// Vite names every file under assets/ after a hash of its content: a changed file gets a new name.
const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}(\.[a-z0-9]+)+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html names the current assets: always asked again (an ETag makes that a 304).
const REVALIDATE = 'no-cache';

/**
 * The api's own Content-Security-Policy, minus nothing: the console runs only its own files
 * (no inline script or style), talks only to this origin (REST and the socket), and shows image
 * previews from object URLs (blob:) made of files fetched with the key.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' blob: data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
].join('; ');

/**
 * The agent console's static build at /console/ (pre-compressed, hashed files cached for good,
 * index.html revalidated), any other path under /console/ answered with index.html so a reload
 * keeps working, and GET / sent to it. /api/… not-founds keep the api's JSON answer.
 */
const consoleRoute: FastifyPluginAsync<ConsoleRouteOptions> = async (app, { dir, limits }) => {
  app.get('/', { schema: { hide: true }, config: { public: true } }, (_request, reply) =>
    reply.redirect(CONSOLE_PREFIX, 302),
  );

  await app.register(
    async (scope) => {
      // Everything here is public: the files hold no data, the console asks for a key itself.
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      scope.addHook('onSend', (_request, reply, payload, done) => {
        void reply.header('content-security-policy', CONSOLE_CSP);
        done(null, payload);
      });

      scope.get('/limits.json', { schema: { hide: true } }, (_request, reply) =>
        reply.header('cache-control', REVALIDATE).send({
          max_file_bytes: limits.fileBytes,
          max_message_chars: limits.messageChars,
        }),
      );

      const built = dir !== undefined && existsSync(join(dir, 'index.html'));
      if (!built) {
        app.log.warn({ dir }, 'the console is not built (pnpm build): /console/ answers 404');
        scope.setNotFoundHandler((_request, reply) =>
          reply.code(404).send(detailError('The console is not built: run pnpm build.')),
        );
        return;
      }

      await scope.register(fastifyStatic, {
        root: dir,
        preCompressed: true,
        dotfiles: 'ignore',
        cacheControl: false,
        setHeaders: (reply: FastifyReply, path: string) => {
          void reply.header('cache-control', HASHED_ASSET.test(path) ? IMMUTABLE : REVALIDATE);
        },
      });
      scope.setNotFoundHandler((request, reply) => {
        // A missing script or style is a 404 (an old page asking for a replaced asset must not get HTML).
        const path = request.url.split('?')[0] ?? '';
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          return reply.code(404).send(detailError(ERROR_MESSAGES.notFound));
        }
        if (path.startsWith(`${CONSOLE_PREFIX}assets/`)) {
          return reply.code(404).send(detailError(ERROR_MESSAGES.notFound));
        }
        return reply.header('cache-control', REVALIDATE).sendFile('index.html');
      });
    },
    { prefix: CONSOLE_PREFIX.slice(0, -1) },
  );
};

export default consoleRoute;
