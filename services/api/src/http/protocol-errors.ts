import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';
import { closeWithDetail } from './raw-answer.js';
import { DRF_MESSAGES } from './drf-messages.js';

// Requests Node's HTTP parser refuses before Fastify sees them (a head over MAX_HEADER_BYTES, a
// method it does not know, a malformed request line), CONNECT, which Node hands to 'connect'
// listeners, and an HTTP/1.1 request without Host, which Node answers itself: each is answered in
// the contract's shape, `{"detail": ...}`, never Fastify's `{"error","message","statusCode"}`
// nor a bare status or a silent close (issue 13, item 6).

/** A method token as RFC 9110 spells one, short enough to repeat in an answer. */
const METHOD_TOKEN = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) /;

export interface ProtocolLimits {
  headerBytes: number;
}

/** The bytes the parser stopped at: a Buffer from Node (Fastify's types describe its JSON form). */
function rawPacketText(error: ConnectionError): string {
  const raw: unknown = error.rawPacket;
  if (Buffer.isBuffer(raw)) return raw.toString('latin1');
  return Array.isArray(error.rawPacket?.data) ? Buffer.from(error.rawPacket.data).toString('latin1') : '';
}

/** Fastify's `clientErrorHandler`: what the parser refused, answered and the connection closed. */
export function answerClientError(limits: ProtocolLimits) {
  return function (this: FastifyInstance, error: ConnectionError, socket: Socket): void {
    // A reset connection, or one already answered (the parser reports every later chunk too).
    if (error.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
    this.log.debug({ err: error }, 'refused a request the HTTP parser could not read');
    switch (error.code) {
      case 'HPE_HEADER_OVERFLOW':
        return closeWithDetail(socket, 431, `Request header fields too large: at most ${limits.headerBytes} bytes.`);
      case 'ERR_HTTP_REQUEST_TIMEOUT':
        return closeWithDetail(socket, 408, 'Request timeout.');
      case 'HPE_INVALID_METHOD': {
        const method = METHOD_TOKEN.exec(rawPacketText(error))?.[1];
        if (method !== undefined) return closeWithDetail(socket, 405, ERROR_MESSAGES.methodNotAllowed(method));
        return closeWithDetail(socket, 400, DRF_MESSAGES.malformedRequest);
      }
      default:
        return closeWithDetail(socket, 400, DRF_MESSAGES.malformedRequest);
    }
  };
}

/**
 * CONNECT asks a proxy for a tunnel, which the api is not: Node gives such requests to 'connect'
 * listeners and, without one, closes the connection unanswered. 405, as any method the api
 * serves nowhere.
 */
export function refuseConnectRequests(server: Server): void {
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    closeWithDetail(socket, 405, ERROR_MESSAGES.methodNotAllowed(request.method ?? 'CONNECT'));
  });
}

/**
 * HTTP/1.1 requires Host (RFC 9112 §3.2). Node's own check answers an empty 400, so it is off
 * (`requireHostHeader: false`) and this one answers instead. HTTP/1.0 needs none and is served.
 */
export function requireHostOnHttp11(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return reply
        .code(400)
        .header('connection', 'close')
        .send(detailError(`${DRF_MESSAGES.malformedRequest} An HTTP/1.1 request needs a Host header.`));
    }
    return undefined;
  });
}
