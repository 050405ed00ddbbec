// A minimal WebSocket client (RFC 6455) for the load generator: one net.Socket (TLS for wss://), a hand-written
// handshake and a frame parser that hands each text/binary payload to a callback. It does what a
// receiving load client needs (answer pings, answer and send close) and nothing else: no
// extensions, no sending of data frames. The `ws` package does far more per frame; at 100k
// frames/s on two shared cores that difference decides whether the generator or the server is
// measured. ws stays available with --client ws as a cross-check.

import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface RawClientHandlers {
  open(): void;
  message(payload: Buffer): void;
  /** After open: the close code (1006 when the connection just ended). */
  close(code: number): void;
  /** Before open: why the handshake failed. */
  error(error: Error): void;
}

export interface RawClientOptions {
  url: string;
  headers: Record<string, string>;
  localAddress: string | undefined;
  handshakeTimeoutMs: number;
}

export class RawWebSocket {
  private readonly socket: net.Socket;
  private opened = false;
  private finished = false;
  private pending: Buffer | undefined;
  private fragments: Buffer[] = [];
  private closeSent = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    options: RawClientOptions,
    private readonly on: RawClientHandlers,
  ) {
    const url = new URL(options.url);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw new Error(`only ws:// and wss:// URLs: ${options.url}`);
    const secure = url.protocol === 'wss:';
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    const port = Number(url.port || (secure ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const tcp = net.connect({ host, port, localAddress: options.localAddress });
    this.socket = secure ? tls.connect({ socket: tcp, servername: net.isIP(host) ? undefined : host }) : tcp;
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => this.fail(new Error('handshake timed out')), options.handshakeTimeoutMs);

    this.socket.once(secure ? 'secureConnect' : 'connect', () => {
      const extra = Object.entries(options.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    let head: Buffer = Buffer.alloc(0);
    const onHandshakeData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) this.fail(new Error('handshake answer too long'));
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = lines[0] ?? '';
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        this.fail(new Error(`Unexpected server response: ${status.slice(9, 12) || status}`));
        return;
      }
      const acceptLine = lines.find((l) => l.toLowerCase().startsWith('sec-websocket-accept:'));
      if (acceptLine?.slice(acceptLine.indexOf(':') + 1).trim() !== accept) {
        this.fail(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      clearTimeout(this.timer);
      this.socket.off('data', onHandshakeData);
      this.socket.on('data', (data: Buffer) => this.onData(data));
      this.opened = true;
      this.on.open();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) this.onData(rest);
    };
    this.socket.on('data', onHandshakeData);
    this.socket.on('error', (error) => {
      if (!this.opened) this.fail(error);
    });
    this.socket.on('close', () => {
      clearTimeout(this.timer);
      if (!this.opened) this.fail(new Error('connection closed during the handshake'));
      else this.finish(1006);
    });
  }

  private fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.on.error(error);
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.on.close(code);
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let at = 0;
    while (buf.length - at >= 2) {
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      if (b1 & 0x80) {
        this.protocolError();
        return;
      }
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        header = 10;
      }
      if (buf.length - at < header + length) break;
      const payload = buf.subarray(at + header, at + header + length);
      at += header + length;
      this.onFrame(b0 & 0x80, b0 & 0x0f, payload);
      if (this.finished) return;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
  }

  private onFrame(fin: number, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0: // continuation
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = [];
          this.on.message(whole);
        }
        return;
      case 0x1:
      case 0x2:
        if (fin) this.on.message(payload);
        else this.fragments = [Buffer.from(payload)];
        return;
      case 0x8: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.sendControl(0x8, payload.subarray(0, 2));
        this.socket.end();
        this.finish(code);
        return;
      }
      case 0x9:
        this.sendControl(0xa, payload);
        return;
      case 0xa:
        return;
      default:
        this.protocolError();
    }
  }

  private protocolError(): void {
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1002);
    this.sendControl(0x8, code);
    this.socket.destroy();
    this.finish(1002);
  }

  /** A masked control frame (clients must mask everything they send). */
  private sendControl(opcode: number, payload: Buffer): void {
    if (opcode === 0x8) {
      if (this.closeSent) return;
      this.closeSent = true;
    }
    if (this.socket.destroyed) return;
    const mask = randomBytes(4);
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    mask.copy(frame, 2);
    for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i & 3]!;
    this.socket.write(frame);
  }

  /** Drops the connection without the closing handshake. */
  terminate(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.socket.destroy();
  }
}
