import fp from 'fastify-plugin';
import type { FileStore } from '../storage/file-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    files: FileStore;
  }
}

export default fp<{ files: FileStore }>(
  async (app, { files }) => {
    await files.ensureReady();
    app.decorate('files', files);
  },
  { name: 'storage' },
);
