import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { ERROR_MESSAGES } from '@helpdesk/shared';
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { sendDetail, statusLine } from './http-response.js';
import { requestClientAddress } from './uws-client-address.js';

// Embedded mode serves REST and sockets on one port: uWS owns the port, and every HTTP request
// that is not a chat socket is passed to the Fastify api over node:http. Bodies stream both ways
// with backpressure (file uploads and downloads of tens of MB pass through here):
// - request: uWS onData → upstream.write; when that returns false, pause the client's socket
//   (res.pause) until the upstream drains. The last byte waits a turn of the event loop (below).
// - response: upstream data → res.tryEnd (known length) or res.write (chunked); when uWS cannot
//   take more, pause the upstream until res.onWritable.
// The response is never touched after it was aborted or ended.

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface HttpProxy {
  handle(res: HttpResponse, req: HttpRequest): void;
  /** Refuses new requests, waits for the ones in flight, closes upstream connections. */
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 connection-specific fields, never forwarded. `expect` too: uWS answers the
// client's 100-continue itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const NOT_FORWARDED_UP = new Set([...HOP_BY_HOP, 'expect']);
// uWS writes Content-Length (or chunked framing) and Date itself.
const NOT_FORWARDED_DOWN = new Set([...HOP_BY_HOP, 'content-length', 'date']);

const DETAILS = {
  badGateway: 'Bad gateway.',
  draining: 'The server is shutting down.',
} as const;

export function createHttpProxy(target: ProxyTarget, logger: Logger, trustedProxies: number): HttpProxy {
  const agent = new http.Agent({ keepAlive: true });
  let inFlight = 0;
  let closing = false;
  const idleWaiters: Array<() => void> = [];

  const settle = (): void => {
    inFlight -= 1;
    if (inFlight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const handle = (res: HttpResponse, req: HttpRequest): void => {
    // Copy everything out of req now: it is only valid during this call.
    const method = req.getCaseSensitiveMethod();
    const query = req.getQuery();
    const path = query ? `${req.getUrl()}?${query}` : req.getUrl();
    const headers = upstreamHeaders(req, requestClientAddress(res, req, trustedProxies));
    if (closing) {
      sendDetail(res, 503, DETAILS.draining);
      return;
    }
    // CONNECT asks for a tunnel: node:http would hand the api's answer to a 'connect' listener
    // instead of a response. The api refuses it anyway; so does this, in its words.
    if (method.toUpperCase() === 'CONNECT') {
      sendDetail(res, 405, ERROR_MESSAGES.methodNotAllowed(method));
      return;
    }

    inFlight += 1;
    let finished = false; // res was ended, closed or aborted: never touch it again
    let paused = false; // the client's socket is paused for the upstream to drain
    let incoming: IncomingMessage | undefined;
    const upstream = http.request({ host: target.host, port: target.port, method, path, headers, agent });

    const finish = (): void => {
      if (finished) return;
      finished = true;
      settle();
      // Answered before the client finished its body (a 413, say): the rest will never be sent,
      // so the upstream request cannot go back to the keep-alive pool.
      if (!upstream.writableEnded) upstream.destroy();
    };
    const cutClient = (): void => {
      if (finished) return;
      finish();
      res.close();
    };

    res.onAborted(() => {
      finish();
      upstream.destroy();
      incoming?.destroy();
    });

    // uWS answers pipelined requests only while each is answered at once: a request that arrives
    // while this one is still being proxied makes it close the connection, aborting this one too
    // (issue 13, item 6; README, "The one port"). When both came in one read, uWS has done so
    // before the event loop turns again. So the api gets the request's last byte (or, without a
    // body, the request at all) only on setImmediate after the body ended, and never once the
    // client's connection is gone: a request refused that way has not run.
    let held: Buffer | undefined; // the last byte received so far, sent with what follows it
    res.onData((chunk, isLast) => {
      if (finished) return;
      // uWS neuters the ArrayBuffer when this returns, so the bytes are copied.
      const data = joinHeld(held, chunk);
      if (isLast) {
        held = undefined;
        setImmediate(() => {
          if (finished) return;
          if (data.byteLength > 0) upstream.end(data);
          else upstream.end();
        });
        return;
      }
      if (data.byteLength === 0) return;
      held = data.subarray(data.byteLength - 1);
      const accepted = data.byteLength === 1 || upstream.write(data.subarray(0, data.byteLength - 1));
      if (!accepted && !paused) {
        paused = true;
        res.pause();
        upstream.once('drain', () => {
          if (!paused || finished) return;
          paused = false;
          res.resume();
        });
      }
    });

    upstream.on('error', (error) => {
      if (finished) return;
      if (incoming) {
        logger.warn({ err: error, method }, 'upstream failed mid-response');
        cutClient();
        return;
      }
      logger.warn({ err: error, method }, 'upstream unreachable');
      finish();
      sendDetail(res, 502, DETAILS.badGateway);
    });

    upstream.on('response', (response) => {
      incoming = response;
      if (finished) {
        response.destroy();
        return;
      }
      // The answer may come before the whole body was sent (413, say); paused, uWS would not
      // tell us when the client can take the answer.
      if (paused) {
        paused = false;
        res.resume();
      }
      relayResponse(res, method, response, { isFinished: () => finished, finish, cutClient });
    });
  };

  const close = async (): Promise<void> => {
    closing = true;
    if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    agent.destroy();
  };

  return { handle, close };
}

/** A chunk uWS lends (valid only during its callback), copied after the byte held back before it. */
function joinHeld(held: Buffer | undefined, chunk: ArrayBuffer): Buffer {
  const bytes = new Uint8Array(chunk);
  if (held === undefined) return Buffer.copyBytesFrom(bytes);
  const joined = Buffer.allocUnsafe(held.byteLength + bytes.byteLength);
  joined.set(held, 0);
  joined.set(bytes, held.byteLength);
  return joined;
}

function upstreamHeaders(req: HttpRequest, clientAddress: string): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  const dropped = new Set(NOT_FORWARDED_UP);
  const connection = req.getHeader('connection');
  for (const name of connection.split(',')) dropped.add(name.trim().toLowerCase());
  req.forEach((name, value) => {
    if (dropped.has(name) || isForwardingHeader(name)) return;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  });
  // The api trusts exactly one hop, this one: it learns the client's address from us (as far as
  // WS_TRUST_PROXY believes proxies in front) and never from what the client wrote, which would
  // let it dodge the bad-key throttle or fake the logged address (issue 13, item 3).
  headers['x-forwarded-for'] = clientAddress;
  headers['x-forwarded-proto'] = 'http';
  const host = req.getHeader('host');
  if (host) headers['x-forwarded-host'] = host;
  return headers;
}

/** X-Forwarded-*, Forwarded and X-Real-IP: written by us alone, never passed on from the client. */
function isForwardingHeader(name: string): boolean {
  return name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip';
}

interface ResponseState {
  isFinished(): boolean;
  finish(): void;
  cutClient(): void;
}

function relayResponse(res: HttpResponse, method: string, incoming: IncomingMessage, state: ResponseState): void {
  const status = incoming.statusCode ?? 502;
  const lengthHeader = incoming.headers['content-length'];
  const chunked = incoming.headers['transfer-encoding'] !== undefined;
  const announced = lengthHeader !== undefined && !chunked ? Number(lengthHeader) : Number.NaN;
  const length = Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
  const bodyless = method.toUpperCase() === 'HEAD' || status === 204 || status === 304 || status < 200;

  res.cork(() => {
    res.writeStatus(statusLine(status, incoming.statusMessage));
    // rawHeaders keeps repeated fields (several Set-Cookie) and their order.
    const raw = incoming.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      if (!NOT_FORWARDED_DOWN.has(name.toLowerCase())) res.writeHeader(name, raw[i + 1] as string);
    }
    if (bodyless) res.endWithoutBody(length);
    else if (length === 0) res.end();
  });
  if (bodyless || length === 0) {
    state.finish();
    incoming.resume();
    return;
  }

  // With a known length, tryEnd writes Content-Length and takes the body piecewise; otherwise
  // write() streams it chunked.
  let stalled = false;
  incoming.on('data', (chunk: Buffer) => {
    if (state.isFinished()) return;
    if (length !== undefined) writeKnownLength(chunk, length);
    else writeChunked(chunk);
  });
  incoming.on('end', () => {
    if (state.isFinished()) return;
    if (length === undefined) {
      res.cork(() => res.end());
      state.finish();
    } else if (!stalled) {
      // The upstream ended before sending the bytes it announced.
      state.cutClient();
    }
  });
  incoming.on('error', () => state.cutClient());
  incoming.on('aborted', () => state.cutClient());

  function writeKnownLength(chunk: Buffer, total: number): void {
    const startOffset = res.getWriteOffset();
    let ok = false;
    let done = false;
    res.cork(() => {
      [ok, done] = res.tryEnd(chunk, total);
    });
    if (done) {
      state.finish();
      return;
    }
    if (ok) return;
    // uWS took only part of the chunk: retry the rest when the client can take it.
    stalled = true;
    incoming.pause();
    res.onWritable((offset) => {
      if (state.isFinished()) return true;
      const [retryOk, retryDone] = res.tryEnd(chunk.subarray(offset - startOffset), total);
      if (retryDone) {
        state.finish();
      } else if (retryOk) {
        stalled = false;
        // The upstream ended while we waited, short of the bytes it announced.
        if (incoming.readableEnded) state.cutClient();
        else incoming.resume();
      }
      return retryOk;
    });
  }

  function writeChunked(chunk: Buffer): void {
    let ok = true;
    res.cork(() => {
      ok = res.write(chunk);
    });
    if (ok) return;
    // write() kept what it could not send; wait until uWS drained it.
    incoming.pause();
    res.onWritable(() => {
      incoming.resume();
      return true;
    });
  }
}
