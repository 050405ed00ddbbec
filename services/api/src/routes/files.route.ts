import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FILES_PATH } from '@helpdesk/shared';
import { findFileByKey } from '../db/message.repository.js';
import { notFound } from '../http/api-error.js';
import { errorResponses } from './error-responses.js';

// Served inline only when a browser cannot run it; everything else downloads as an attachment.
const INLINE_SAFE = /^(image\/(png|jpeg|gif|webp)|application\/pdf|audio\/(mpeg|ogg|wav)|video\/(mp4|webm))$/;

const filesRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    `${FILES_PATH}/:key/:name`,
    {
      schema: {
        tags: ['contract'],
        summary: "A message's file (the URL in a Message's `file`)",
        params: Type.Object({ key: Type.String({ pattern: '^[a-f0-9]{32}$' }), name: Type.String() }),
        response: { 200: { description: 'The file bytes', type: 'string', format: 'binary' }, ...errorResponses(404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError) throw notFound();
      const info = await findFileByKey(app.db, request.params.key);
      if (!info) throw notFound();
      const body = await app.files.get(info.key);
      if (!body) throw notFound();
      const contentType = INLINE_SAFE.test(info.contentType) ? info.contentType : 'application/octet-stream';
      return reply
        .header('content-type', contentType)
        .header('content-length', String(info.size))
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(info.name)}`)
        .send(body);
    },
  );
};

export default filesRoute;
