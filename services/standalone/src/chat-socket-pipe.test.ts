import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChatSocketPipe, type ChatSocketPipe } from './chat-socket-pipe.js';

// The pipe between the one port (a Node HTTP server, as the api's) and a stand-in for the gateway:
// a TCP server that records what reaches it. Real sockets on loopback.

const quiet = { warn: () => undefined, debug: () => undefined };

interface GatewayConnection {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** Resolves with what was received once it is at least `bytes` long. */
  receivedAtLeast(bytes: number): Promise<string>;
}

let gateway: Server;
let gatewayPort: number | undefined;
let connections: GatewayConnection[];
let front: HttpServer;
let frontPort: number;
let pipe: ChatSocketPipe;

async function listening<T extends Server | HttpServer>(server: T): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

beforeEach(async () => {
  connections = [];
  gateway = createServer((socket) => {
    // The pipe resets a connection it cuts with bytes left unread.
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let length = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    const received = () => Buffer.concat(chunks).toString('latin1');
    const receivedAtLeast = (bytes: number) =>
      new Promise<string>((resolve) => {
        const check = () => {
          if (length < bytes) return;
          socket.off('data', check);
          resolve(received());
        };
        socket.on('data', check);
        check();
      });
    connections.push({ socket, received, receivedAtLeast });
  });
  gatewayPort = await listening(gateway);
  pipe = createChatSocketPipe({ gatewayPort: () => gatewayPort, lingerMs: 50, logger: quiet });
  front = createHttpServer((_req, res) => res.end('plain'));
  front.on('upgrade', (request, socket, head) => pipe.handle(request, socket, head));
  frontPort = await listening(front);
});

afterEach(async () => {
  for (const { socket } of connections) socket.destroy();
  await pipe.close();
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  await new Promise((resolve) => gateway.close(resolve));
});

const UPGRADE = ['Host: chat.test', 'Upgrade: websocket', 'Connection: Upgrade'];
const headOf = (requestLine: string, headers: string[]): string => `${[requestLine, ...headers].join('\r\n')}\r\n\r\n`;

/** A client connection to the front that has sent `head` (and `after`, in the same write). */
async function client(requestLine: string, headers: string[], after = ''): Promise<Socket> {
  const socket = connect(frontPort, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`${headOf(requestLine, headers)}${after}`, 'latin1');
  return socket;
}

async function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

async function gatewayConnection(): Promise<GatewayConnection> {
  if (connections.length === 0) await once(gateway, 'connection');
  return connections[0]!;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  const port = await listening(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('the chat socket pipe', () => {
  it("sends the gateway the client's head without forwarding headers, X-Forwarded-For appended, and what came with it", async () => {
    const socket = await client(
      'GET /ws/chat/acme/?token=t%C3%A9 HTTP/1.1',
      [
        ...UPGRADE,
        'X-Forwarded-For: 203.0.113.7',
        'X-Forwarded-Host: attacker.example',
        'x-forwarded-proto: https',
        'Forwarded: for=198.51.100.1;proto=https',
        'X-Real-IP: 198.51.100.2',
        'Sec-WebSocket-Protocol: helpdesk-ticket, abc',
        'X-Forwarded-For: 203.0.113.8',
        'X-Name: caf\xe9',
      ],
      'first frame bytes',
    );
    const upstream = await gatewayConnection();
    const expected =
      headOf('GET /ws/chat/acme/?token=t%C3%A9 HTTP/1.1', [
        ...UPGRADE,
        'Sec-WebSocket-Protocol: helpdesk-ticket, abc',
        'X-Name: caf\xe9',
        'X-Forwarded-For: 203.0.113.7, 203.0.113.8, 127.0.0.1',
      ]) + 'first frame bytes';
    expect(await upstream.receivedAtLeast(expected.length)).toBe(expected);
    socket.destroy();
  });

  it('carries bytes both ways unchanged, and closes the client once the gateway closes', async () => {
    const socket = await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE);
    const upstream = await gatewayConnection();
    const down = Buffer.alloc(8 * 1024 * 1024, 'd');
    const up = Buffer.alloc(8 * 1024 * 1024, 'u');
    const head = headOf('GET /ws/chat/acme/ HTTP/1.1', [...UPGRADE, 'X-Forwarded-For: 127.0.0.1']);
    expect(await upstream.receivedAtLeast(head.length)).toBe(head);
    const read = readAll(socket);
    socket.write(up);
    const all = await upstream.receivedAtLeast(head.length + up.length);
    expect(sha256(Buffer.from(all.slice(head.length), 'latin1'))).toBe(sha256(up));
    upstream.socket.end(down);
    expect(sha256(Buffer.from(await read, 'latin1'))).toBe(sha256(down));
  });

  it('closes the gateway side when the client goes away', async () => {
    const socket = await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE);
    const upstream = await gatewayConnection();
    const closed = once(upstream.socket, 'close');
    socket.destroy();
    await closed;
  });

  it('answers 503 {"detail"} when the gateway is not there', async () => {
    gatewayPort = undefined;
    const notStarted = await readAll(await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE));
    gatewayPort = await closedPort();
    const refused = await readAll(await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE));
    const body = '{"detail":"Sockets are unavailable right now; reconnect later."}';
    for (const answer of [notStarted, refused]) {
      expect(answer).toBe(
        'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  });

  it('answers 431 {"detail"} to more header lines than uWS reads (48, X-Forwarded-For among them)', async () => {
    const lines = (count: number) => Array.from({ length: count - UPGRADE.length }, (_, i) => `X-Header-${i}: v`);
    const refused = await readAll(await client('GET /ws/chat/acme/ HTTP/1.1', [...UPGRADE, ...lines(48)]));
    expect(refused.slice(refused.indexOf('\r\n\r\n') + 4)).toBe(
      '{"detail":"Request header fields too large: at most 47 header lines on a socket."}',
    );
    expect(refused.startsWith('HTTP/1.1 431 Request Header Fields Too Large\r\n')).toBe(true);
    expect(connections).toEqual([]);

    const socket = await client('GET /ws/chat/acme/ HTTP/1.1', [...UPGRADE, ...lines(47), 'X-Forwarded-For: 1.2.3.4']);
    const upstream = await gatewayConnection();
    const head = headOf('GET /ws/chat/acme/ HTTP/1.1', [
      ...UPGRADE,
      ...lines(47),
      'X-Forwarded-For: 1.2.3.4, 127.0.0.1',
    ]);
    expect(await upstream.receivedAtLeast(head.length)).toBe(head);
    socket.destroy();
  });

  it('cuts a client that does not read what the gateway sent before it closed, lingerMs after', async () => {
    const socket = await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE);
    socket.pause();
    const upstream = await gatewayConnection();
    // More than the kernel buffers on the way hold: the last of it waits for the client.
    upstream.socket.end(Buffer.alloc(64 * 1024 * 1024));
    // close() resolves once no piped connection is left.
    await pipe.close();
    const connections = await new Promise<number>((resolve, reject) =>
      front.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    expect(connections).toBe(0);
    socket.destroy();
  });

  it('takes no more sockets once closing: 503 {"detail"}', async () => {
    await pipe.close();
    const after = await readAll(await client('GET /ws/chat/acme/ HTTP/1.1', UPGRADE));
    expect(after.startsWith('HTTP/1.1 503 Service Unavailable\r\n')).toBe(true);
  });
});
