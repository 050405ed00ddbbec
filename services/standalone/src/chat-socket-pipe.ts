import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { closeWithDetail, type UpgradeRoute } from '@helpdesk/api';
import { UWS_MAX_HEADER_LINES } from '@helpdesk/gateway';
import { CHAT_SOCKET_PATH_PREFIX } from '@helpdesk/shared';

// The one port's chat sockets. Node's HTTP server (the api) owns the port; a WebSocket upgrade to
// /ws/chat/… is passed, bytes as they come, to the gateway listening on loopback: the request head
// rebuilt (X-Forwarded-For appended to, like any proxy), then whatever the client sends, both ways,
// with backpressure, until either side closes or the client stops reading. Written by hand at the
// TCP level because uWS cannot adopt a socket that Node accepted.

/** The two logger calls the pipe makes; a pino logger fits. */
interface PipeLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface ChatSocketPipeOptions {
  /** The gateway's loopback port, once it listens. */
  gatewayPort: () => number | undefined;
  /**
   * How long a client may go without taking what the gateway sent, while more waits for it, or
   * after the gateway closed its connection (a close frame, say), before the client's connection
   * is cut: WS_CLOSE_TIMEOUT_MS, the time the gateway itself gives a client that does not read.
   */
  lingerMs: number;
  logger: PipeLogger;
}

export interface ChatSocketPipe extends UpgradeRoute {
  /**
   * Takes no more sockets, and resolves once every piped one has closed (Node's server.close()
   * waits for them too): call it once the gateway closed its connections, after which each client
   * has at most `lingerMs` left.
   */
  close(): Promise<void>;
}

const DETAILS = {
  unavailable: 'Sockets are unavailable right now; reconnect later.',
  // One of the gateway's lines is the X-Forwarded-For written here.
  tooManyHeaders: `Request header fields too large: at most ${UWS_MAX_HEADER_LINES - 1} header lines on a socket.`,
} as const;

/** Set by proxies, ours included, so never passed on from the client. X-Forwarded-For is appended to. */
function isForwardingHeader(name: string): boolean {
  return name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip';
}

/** A WebSocket upgrade to the chat socket path (CONTRACT.md): the gateway's. */
function isChatSocketUpgrade(request: IncomingMessage): boolean {
  const upgrade = request.headers.upgrade ?? '';
  return (
    request.method === 'GET' &&
    (request.url ?? '').startsWith(CHAT_SOCKET_PATH_PREFIX) &&
    upgrade.split(',').some((protocol) => protocol.trim().toLowerCase() === 'websocket')
  );
}

/**
 * The head the gateway gets: the client's own header lines, in order, less the forwarding ones,
 * and X-Forwarded-For with the TCP peer appended (the gateway trusts one more proxy than the api
 * does: this one). Undefined when uWS would not read so many lines.
 */
function gatewayHead(request: IncomingMessage, peer: string): Buffer | undefined {
  const lines = [`${request.method} ${request.url} HTTP/1.1`];
  const forwardedFor: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor.push(value);
    else if (!isForwardingHeader(lower)) lines.push(`${name}: ${value}`);
  }
  lines.push(`X-Forwarded-For: ${[...forwardedFor, peer].join(', ')}`);
  if (lines.length - 1 > UWS_MAX_HEADER_LINES) return undefined;
  // Node read the head as latin1: written back the same way, every byte is the client's.
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export function createChatSocketPipe({ gatewayPort, lingerMs, logger }: ChatSocketPipeOptions): ChatSocketPipe {
  const open = new Set<{ client: Duplex; gateway: Socket }>();
  let closing = false;
  let allClosed: (() => void) | undefined;

  const handle = (request: IncomingMessage, client: Duplex, head: Buffer): void => {
    // Node's own error listener left with the upgrade; an unheard error would end the process.
    client.on('error', (error) => logger.debug({ err: error }, 'chat socket connection failed'));
    const port = gatewayPort();
    const peer = request.socket.remoteAddress;
    if (peer === undefined) {
      client.destroy();
      return;
    }
    if (closing || port === undefined) {
      closeWithDetail(client, 503, DETAILS.unavailable);
      return;
    }
    const gatewayRequest = gatewayHead(request, peer);
    if (gatewayRequest === undefined) {
      closeWithDetail(client, 431, DETAILS.tooManyHeaders);
      return;
    }

    const gateway = connect({ host: '127.0.0.1', port, noDelay: true });
    const pair = { client, gateway };
    open.add(pair);
    const cut = (): void => {
      client.destroy();
      gateway.destroy();
    };
    client.once('close', () => {
      gateway.destroy();
      open.delete(pair);
      if (open.size === 0) allClosed?.();
    });
    const unreachable = (error: Error): void => {
      logger.warn({ err: error, port }, 'the gateway did not take a chat socket');
      open.delete(pair);
      closeWithDetail(client, 503, DETAILS.unavailable);
    };
    gateway.once('error', unreachable);
    gateway.once('connect', () => {
      gateway.off('error', unreachable);
      // One write, head and what came after it: uWS reads a head of over 4 KiB only in one piece.
      gateway.write(head.byteLength > 0 ? Buffer.concat([gatewayRequest, head]) : gatewayRequest);
      pipeline(client, gateway, (error) => {
        if (error) cut();
      });
      // The gateway closed and everything it sent was written: nothing more can come for the client.
      pipeline(gateway, client, cut);
      // A client that does not read is cut after lingerMs, as the gateway cuts one: while the pipe
      // waits for it (the gateway's side paused), the gateway's own cut cannot be seen from here.
      let stalled: NodeJS.Timeout | undefined;
      gateway.on('pause', () => (stalled ??= setTimeout(cut, lingerMs)));
      gateway.on('resume', () => {
        clearTimeout(stalled);
        stalled = undefined;
      });
      gateway.once('close', () => {
        clearTimeout(stalled);
        // What the gateway sent last (a close frame) waits for the client, but not for ever.
        if (!client.destroyed) setTimeout(() => client.destroy(), lingerMs).unref();
      });
    });
  };

  const close = async (): Promise<void> => {
    closing = true;
    if (open.size > 0) await new Promise<void>((resolve) => (allClosed = resolve));
  };

  return { accepts: isChatSocketUpgrade, handle, close };
}
