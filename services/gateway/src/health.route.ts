import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { sendJson } from './http-response.js';

// Liveness and readiness for orchestrators. Readiness fails as soon as the gateway drains, so a
// load balancer stops sending new sockets here while the open ones are being closed; and while
// its bus (Redis) connection is down, since a new socket could then get no events. Liveness
// stays up in both cases: restarting would not bring Redis back.

export interface Readiness {
  isDraining(): boolean;
  busConnected(): boolean;
}

/**
 * Embedded mode (`api` given, the proxy to the api in the same process): the one port's health
 * is the api's too (database, schema), asked once the gateway's own is fine.
 */
export function registerHealthRoutes(
  app: TemplatedApp,
  readiness: Readiness,
  api?: { handle(res: HttpResponse, req: HttpRequest): void },
): void {
  app.get('/healthz', (res, req) => {
    if (api) api.handle(res, req);
    else sendJson(res, 200, { status: 'ok' });
  });
  app.get('/readyz', (res, req) => {
    if (readiness.isDraining()) sendJson(res, 503, { status: 'draining' });
    else if (!readiness.busConnected()) sendJson(res, 503, { status: 'events unavailable' });
    else if (api) api.handle(res, req);
    else sendJson(res, 200, { status: 'ok' });
  });
}
