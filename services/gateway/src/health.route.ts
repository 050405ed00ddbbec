import type { TemplatedApp } from 'uWebSockets.js';
import { sendJson } from './http-response.js';

// Liveness and readiness for orchestrators. Readiness fails as soon as the gateway drains, so a
// load balancer stops sending new sockets here while the open ones are being closed; and while
// its bus (Redis) connection is down, since a new socket could then get no events. Liveness
// stays up in both cases: restarting would not bring Redis back.

export interface Readiness {
  isDraining(): boolean;
  busConnected(): boolean;
}

/** Why the gateway is not ready, as /readyz says it; the embedded mode's api asks it too. */
export type NotReadyReason = 'draining' | 'events unavailable';

export function notReadyBecause(readiness: Readiness): NotReadyReason | undefined {
  if (readiness.isDraining()) return 'draining';
  if (!readiness.busConnected()) return 'events unavailable';
  return undefined;
}

export function registerHealthRoutes(app: TemplatedApp, readiness: Readiness): void {
  app.get('/healthz', (res) => sendJson(res, 200, { status: 'ok' }));
  app.get('/readyz', (res) => {
    const reason = notReadyBecause(readiness);
    sendJson(res, reason === undefined ? 200 : 503, { status: reason ?? 'ok' });
  });
}
