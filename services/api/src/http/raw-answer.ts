import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { detailError } from '@helpdesk/shared';

/**
 * How long a connection stays open after its answer, reading (and dropping) what the client still
 * sends: closing with unread bytes would reset the connection, and a reset can discard the answer
 * before the client reads it.
 */
const LINGER_MS = 2000;

/**
 * Writes a whole `{"detail": ...}` answer on a connection that no HTTP response object owns (one
 * the HTTP parser refused, a CONNECT, an upgrade taken over), then closes it.
 */
export function closeWithDetail(socket: Duplex, status: number, detail: string): void {
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
