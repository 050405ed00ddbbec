import { canAccess } from '../auth/access.js';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FILES_PATH } from '@helpdesk/shared';
import { findFileByKey } from '../db/message.repository.js';
import { notFound } from '../http/api-error.js';
import { errorResponses } from './error-responses.js';

// Served inline only when a browser cannot run it; everything else downloads as an attachment.
const INLINE_SAFE = /^(image\/(png|jpeg|gif|webp)|application\/pdf|audio\/(mpeg|ogg|wav)|video\/(mp4|webm))$/;

const filesRoute: FastifyPluginCallbackTypebox = (app, _options, done) => {
  app.get(
    `${FILES_PATH}/:key/:name`,
    {
      schema: {
        tags: ['contract'],
        summary: "A message's file (the URL in a Message's `file`)",
        params: Type.Object({ key: Type.String({ pattern: '^[a-f0-9]{32}$' }), name: Type.String() }),
        response: {
          200: {
            description: 'The file bytes: its own type when a browser cannot run it, else application/octet-stream',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          ...errorResponses(404),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError) throw notFound();
      const info = await findFileByKey(app.db, request.params.key);
      // Served only to keys of the file's organization; others get what a missing file gets.
      if (!info || !canAccess(request, info.organizationId)) throw notFound();
      const body = await app.files.get(info.key);
      if (!body) throw notFound();
      const contentType = INLINE_SAFE.test(info.contentType) ? info.contentType : 'application/octet-stream';
      return reply
        .header('content-type', contentType)
        .header('content-length', String(info.size))
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', contentDisposition(info.name))
        .send(body);
    },
  );
  done();
};

/**
 * `attachment` with the name twice (RFC 6266): `filename*` (RFC 5987) exact in UTF-8, and a plain
 * ASCII `filename` for clients that read only that one.
 */
export function contentDisposition(name: string): string {
  // encodeURIComponent leaves ' ( ) * ! unescaped; RFC 5987's attr-char excludes ' ( ) *.
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

export default filesRoute;
