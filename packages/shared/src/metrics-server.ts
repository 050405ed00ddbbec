import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';

/**
 * Prometheus metrics live in prom-client's process-wide registry, so the api and the gateway
 * share one exposition when the embedded mode runs them in one process.
 */
export const metricsRegistry = register;

let processMetricsStarted = false;

/** CPU, memory, event-loop lag, GC and handles of this process, once per process. */
export function collectProcessMetrics(): void {
  if (processMetricsStarted) return;
  processMetricsStarted = true;
  collectDefaultMetrics({ register, prefix: 'helpdesk_' });
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics on its own port: scraped inside the cluster, never routed by the ingress
 * that faces the internet.
 */
export async function startMetricsServer(host: string, port: number): Promise<MetricsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not found."}');
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: address !== null && typeof address === 'object' ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
