import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { detailError, ERROR_MESSAGES } from '@helpdesk/shared';
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
        return closeWith(socket, 431, `Request header fields too large: at most ${limits.headerBytes} bytes.`);
      case 'ERR_HTTP_REQUEST_TIMEOUT':
        return closeWith(socket, 408, 'Request timeout.');
      case 'HPE_INVALID_METHOD': {
        const method = METHOD_TOKEN.exec(rawPacketText(error))?.[1];
        if (method !== undefined) return closeWith(socket, 405, ERROR_MESSAGES.methodNotAllowed(method));
        return closeWith(socket, 400, DRF_MESSAGES.malformedRequest);
      }
      default:
        return closeWith(socket, 400, DRF_MESSAGES.malformedRequest);
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
    closeWith(socket, 405, ERROR_MESSAGES.methodNotAllowed(request.method ?? 'CONNECT'));
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

/**
 * How long a refused connection stays open after its answer, reading (and dropping) what the
 * client still sends: closing with unread bytes would reset the connection, and a reset can
 * discard the answer before the client reads it.
 */
const LINGER_MS = 2000;

/** Writes a whole answer on a connection no HTTP response object owns, then closes it. */
function closeWith(socket: Socket, status: number, detail: string): void {
  const body = JSON.stringify(detailError(detail));
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
