import fp from 'fastify-plugin';
import { openProcessSpool } from '../storage/upload-spool.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's own folder for uploads being received (storage/upload-spool.ts). */
    uploadSpoolDir: string;
  }
}

/**
 * The process's spool folder under UPLOAD_SPOOL_DIR: made at start (after removing what dead
 * processes of this host left there), removed with whatever is still in it at close.
 */
export default fp<{ root: string }>(
  async (app, { root }) => {
    const spool = await openProcessSpool(root);
    if (spool.removedStale.length > 0) {
      app.log.info({ removed: spool.removedStale }, 'removed the upload spools of processes that are gone');
    }
    app.decorate('uploadSpoolDir', spool.dir);
    app.addHook('onClose', async () => {
      await spool.remove();
    });
  },
  { name: 'upload-spool' },
);
