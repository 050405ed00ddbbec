import type { FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

/** Query parameters whose values are credentials: socket tickets (`?token=`) and anything alike. */
const CREDENTIAL_QUERY = /([?&](?:token|ticket|key|api_key|secret)=)[^&#]*/gi;

/** The request's URL with credential values in its query string replaced. */
export function redactUrl(url: string): string {
  return url.includes('?') ? url.replace(CREDENTIAL_QUERY, '$1[redacted]') : url;
}

/**
 * Fastify's request fields, with the URL redacted: a socket ticket reaches the api's log when a
 * request for /ws/chat/…?token= that is no WebSocket upgrade reaches it (the embedded mode's one
 * port) or is misrouted.
 */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** JSON logs; credentials never leave the process in them. */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    serializers: { req: serializeRequest },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["sec-websocket-protocol"]'],
      censor: '[redacted]',
    },
  });
}
