import WebSocket from 'ws';

/** A test socket that records every text frame, and can wait for a count of them. */
export class RecordingSocket {
  readonly frames: string[] = [];
  closeCode: number | undefined;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary frame; the contract sends text');
      this.frames.push(data.toString('utf8'));
      this.waiters = this.waiters.filter((w) => (this.frames.length >= w.count ? (w.resolve(), false) : true));
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** `protocols`: what a browser offers in Sec-WebSocket-Protocol (a ticket, say). */
  static async open(url: string, protocols: string[] = []): Promise<RecordingSocket> {
    const ws = new WebSocket(url, protocols);
    const socket = new RecordingSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return socket;
  }

  waitForFrames(count: number, timeoutMs = 5000): Promise<string[]> {
    if (this.frames.length >= count) return Promise.resolve(this.frames.slice(0, count));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${this.frames.length} of ${count} frames: ${this.frames.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(this.frames.slice(0, count))) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** An upgrade the server refused: its status, its WWW-Authenticate challenge, its JSON body. */
export interface UpgradeRefusal {
  status: number;
  challenge: string | undefined;
  body: unknown;
}

/** The server's answer to an upgrade it must refuse (it fails the test if the socket opens). */
export function refusedUpgrade(url: string, protocols: string[] = []): Promise<UpgradeRefusal> {
  const ws = new WebSocket(url, protocols);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`expected ${url} to be refused before the upgrade, but the socket opened`));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        ws.terminate();
        try {
          resolve({
            status: res.statusCode ?? 0,
            challenge: res.headers['www-authenticate'],
            body: JSON.parse(text) as unknown,
          });
        } catch (error) {
          reject(new Error(`refused with ${res.statusCode} and a body that is not JSON: ${text}`, { cause: error }));
        }
      });
    });
  });
}

/** Status and JSON body of an upgrade the server must refuse (it fails the test if the socket opens). */
export async function upgradeRefusal(
  url: string,
  protocols: string[] = [],
): Promise<{ status: number; body: unknown }> {
  const { status, body } = await refusedUpgrade(url, protocols);
  return { status, body };
}
