import type { TemplatedApp } from 'uWebSockets.js';
import { sendJson } from './http-response.js';

// Liveness and readiness for orchestrators. Readiness fails as soon as the gateway drains, so a
// load balancer stops sending new sockets here while the open ones are being closed.

export function registerHealthRoutes(app: TemplatedApp, isDraining: () => boolean): void {
  app.get('/healthz', (res) => {
    sendJson(res, 200, { status: 'ok' });
  });
  app.get('/readyz', (res) => {
    if (isDraining()) sendJson(res, 503, { status: 'draining' });
    else sendJson(res, 200, { status: 'ok' });
  });
}
