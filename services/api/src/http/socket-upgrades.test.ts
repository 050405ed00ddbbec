import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, rawRequest } from '../../test/raw-http.js';
import { handOverUpgrades, upgradeAwareRequests, type UpgradeRoute } from './socket-upgrades.js';

// On the running Node (20 here, which has no shouldUpgradeCallback): a server with an 'upgrade'
// listener still serves every upgrade request its route does not take as plain HTTP.

const route: UpgradeRoute = {
  accepts: (request) => request.url === '/socket' && request.headers.upgrade === 'websocket',
  handle: (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.end(`HTTP/1.1 101 Switching Protocols\r\n\r\nhanded over ${request.url} with ${head.toString()}`);
  },
};

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer({ IncomingMessage: upgradeAwareRequests(route), requireHostHeader: false }, (req, res) => {
    res.setHeader('connection', 'close');
    res.end(
      `served ${req.method} ${req.url}, upgrade ${String((req as IncomingMessage & { upgrade: unknown }).upgrade)}`,
    );
  });
  server.on('connect', (_request, socket: Duplex) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  handOverUpgrades(server, route);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const answerTo = async (head: string, body = ''): Promise<string> =>
  (await rawExchange(port, [rawRequest(head.split('\r\n')[0]!, head.split('\r\n').slice(1), body)])).raw;
const bodyOf = (raw: string): string => raw.slice(raw.indexOf('\r\n\r\n') + 4);

describe('upgradeAwareRequests', () => {
  it("hands over the route's upgrade, with what came after its head", async () => {
    const raw = await answerTo('GET /socket HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket', 'frame');
    expect(raw).toBe('HTTP/1.1 101 Switching Protocols\r\n\r\nhanded over /socket with frame');
  });

  it('serves any other upgrade request as plain HTTP: another protocol, another path', async () => {
    const h2c = await answerTo(
      'GET /socket HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
    );
    expect(bodyOf(h2c)).toBe('served GET /socket, upgrade false');
    const elsewhere = await answerTo('GET /api/ HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket');
    expect(bodyOf(elsewhere)).toBe('served GET /api/, upgrade false');
  });

  it('serves an upgrade of HTTP/1.0 (which must be ignored) or without Host as plain HTTP', async () => {
    const http10 = await answerTo('GET /socket HTTP/1.0\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket');
    expect(bodyOf(http10)).toBe('served GET /socket, upgrade false');
    const hostless = await answerTo('GET /socket HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket');
    expect(bodyOf(hostless)).toBe('served GET /socket, upgrade false');
  });

  it("leaves CONNECT to the server's 'connect' listener", async () => {
    expect(await answerTo('CONNECT a:443 HTTP/1.1\r\nHost: a:443')).toBe('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
});
