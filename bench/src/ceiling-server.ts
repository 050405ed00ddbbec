// The reference the gateway is measured against: the least a uWS server fed from Redis can do.
// Same URL shape and channel as the gateway (one SUBSCRIBE per organization with sockets here,
// frames forwarded as the received bytes with app.publish), and nothing else: no limits, no
// logging, no drain. Run by main.ts as its own process: PORT, HOST, REDIS_URL, REDIS_PREFIX.

import { Redis } from 'ioredis';
import uWS from 'uWebSockets.js';
import { organizationChannel, CHAT_SOCKET_PATH_PREFIX } from '@helpdesk/shared';

interface SocketData {
  channel: string;
}

function isNativeUws(): boolean {
  return Function.prototype.toString.call(uWS.App).includes('[native code]') && typeof uWS.getParts === 'function';
}

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

if (!isNativeUws()) {
  console.error('ceiling: uWebSockets.js loaded its JavaScript fallback, not the native addon');
  process.exit(3);
}

const port = Number(env('PORT'));
const host = env('HOST', '127.0.0.1');
const prefix = env('REDIS_PREFIX');
// disableClientInfo: ioredis >= 5.8.2 may lose a SUBSCRIBE sent during its handshake (ioredis#2037).
const redis = new Redis(env('REDIS_URL'), {
  connectionName: 'helpdesk-bench:ceiling:sub',
  maxRetriesPerRequest: null,
  disableClientInfo: true,
});
const socketsPerChannel = new Map<string, number>();
const orgPattern = /^[A-Za-z0-9_-]{1,64}$/;

const app = uWS.App();
redis.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
  app.publish(channel, payload, false, false);
});

app.ws<SocketData>(`${CHAT_SOCKET_PATH_PREFIX}:org/`, {
  compression: uWS.DISABLED,
  maxPayloadLength: 1024,
  idleTimeout: 120,
  maxBackpressure: 1024 * 1024,
  sendPingsAutomatically: true,
  upgrade: (res, req, context) => {
    const org = req.getParameter(0) ?? '';
    if (!orgPattern.test(org)) {
      res.writeStatus('404 Not Found').end();
      return;
    }
    res.upgrade<SocketData>(
      { channel: organizationChannel(prefix, org) },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const { channel } = ws.getUserData();
    ws.subscribe(channel);
    const n = (socketsPerChannel.get(channel) ?? 0) + 1;
    socketsPerChannel.set(channel, n);
    if (n === 1) redis.subscribe(channel).catch((error: unknown) => console.error('ceiling: subscribe failed', error));
  },
  close: (ws) => {
    const { channel } = ws.getUserData();
    const n = (socketsPerChannel.get(channel) ?? 1) - 1;
    if (n > 0) {
      socketsPerChannel.set(channel, n);
      return;
    }
    socketsPerChannel.delete(channel);
    redis.unsubscribe(channel).catch((error: unknown) => console.error('ceiling: unsubscribe failed', error));
  },
});

app.listen(host, port, (token) => {
  if (!token) {
    console.error(`ceiling: could not listen on ${host}:${port}`);
    process.exit(1);
  }
  console.log(`ceiling: listening on ${host}:${port}`);
});

const stop = () => {
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
