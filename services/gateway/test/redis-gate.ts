import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a Redis that the test can shut: while shut it drops every connection
 * at once and every new one as it arrives, so the clients behind it (a gateway's bus) keep
 * retrying and cannot be back before the test opens it again, whatever their retry timing.
 */
export class RedisGate {
  private shut = false;
  private readonly sockets = new Set<Socket>();
  /** The gate's connections to Redis, whose answers silence() holds back. */
  private readonly upstreams = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(redisPort: number): Promise<RedisGate> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the gate did not bind a port');
    const gate = new RedisGate(server, address.port);
    server.on('connection', (client) => gate.relay(client, redisPort));
    return gate;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Drops every connection through the gate, and every new one until open(). */
  close(): void {
    this.shut = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * Redis stops answering: what it sends no longer reaches the clients, whose connections stay up
   * (a hung Redis, or a network that drops its replies).
   */
  silence(): void {
    for (const upstream of this.upstreams) {
      upstream.unpipe();
      upstream.pause();
    }
  }

  open(): void {
    this.shut = false;
  }

  async stop(): Promise<void> {
    this.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, redisPort: number): void {
    if (this.shut) {
      client.destroy();
      return;
    }
    const upstream = connect(redisPort, '127.0.0.1');
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}
