import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

// HTTP spoken by hand over a TCP socket, for what fetch and node:http never send: oversized or
// malformed heads, unknown methods, HTTP/1.0 without Host, pipelined requests.

export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated one keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** Every complete response, in the order they came. */
  responses: RawResponse[];
  /** All bytes received, as latin1 text. */
  raw: string;
  /** The server reset the connection (rather than closing it in order). */
  reset: boolean;
}

export interface RawExchangeOptions {
  /** Pause between chunks, so the server reads them separately (a head that arrives in pieces). */
  pauseMs?: number;
  /** The server must have closed the connection by then. */
  timeoutMs?: number;
}

/**
 * Writes `chunks` on a new connection to 127.0.0.1:`port` and reads until the server closes it.
 * The requests should end the exchange themselves (`Connection: close`, or something the server
 * refuses): a server that keeps the connection open past `timeoutMs` fails the exchange.
 */
export async function rawExchange(
  port: number,
  chunks: Array<string | Buffer>,
  { pauseMs = 0, timeoutMs = 10_000 }: RawExchangeOptions = {},
): Promise<RawExchange> {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  let reset = false;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got ${JSON.stringify(text())}`));
    }, timeoutMs);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const text = () => Buffer.concat(received).toString('latin1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0 && pauseMs > 0) await delay(pauseMs);
    if (socket.destroyed) break;
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  }
  await closed;
  return { responses: parseResponses(text()), raw: text(), reset };
}

/** The complete HTTP/1.1 responses in `raw` (Content-Length framed, as every answer here is). */
export function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = end + 4;
    if (rest.length < bodyStart + length) break;
    responses.push({ status: Number(status[1]), headers, body: rest.slice(bodyStart, bodyStart + length) });
    rest = rest.slice(bodyStart + length);
  }
  return responses;
}

/** A request head with these header lines (CRLF-joined), and a body when given. */
export function rawRequest(requestLine: string, headers: string[], body = ''): string {
  return `${[requestLine, ...headers].join('\r\n')}\r\n\r\n${body}`;
}
