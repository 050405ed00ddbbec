import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { OUTBOX_NOTIFY_CHANNEL } from '../db/outbox.repository.js';

// Who may publish the outbox (issue 4, item 1). Events of one organization must reach the bus in
// id order, so with several api replicas exactly one relay publishes at a time: the one holding a
// Postgres session advisory lock on a connection of its own. Postgres releases the lock when that
// session ends, so a replica that dies or loses its connection lets another take over, and a
// replica that sees its connection fail stops publishing at once. Gateways drop duplicate ids,
// which covers the moment two relays may overlap (the old leader's last batch in flight).

export interface LeadershipEvents {
  /** This process just became the one that publishes: catch up on what others left. */
  onLeader(): void;
  /** Another process (or this one) committed events: publish them. */
  onNotify(): void;
}

export interface RelayLeadership {
  readonly isLeader: boolean;
  /** Takes the lock if free, or checks that the lock's connection is alive; called on each poll. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/** PGlite: one process owns the database, so it always leads. */
export class SingleProcessLeadership implements RelayLeadership {
  readonly isLeader = true;
  tick(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Any 64-bit number the api uses for nothing else; Postgres scopes it to the database. */
const LOCK_KEY = '7152201894513240001';

export interface AdvisoryLockOptions {
  url: string;
  log: FastifyBaseLogger;
  events: LeadershipEvents;
  /** A lock query or a liveness check that takes longer than this counts as a lost connection. */
  queryTimeoutMs: number;
}

/** Postgres: the replica holding the advisory lock leads; it LISTENs for the others' commits. */
export class AdvisoryLockLeadership implements RelayLeadership {
  private client: pg.Client | undefined;
  private leader = false;
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: AdvisoryLockOptions) {}

  get isLeader(): boolean {
    return this.leader;
  }

  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ticking ??= this.step().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async step(): Promise<void> {
    try {
      const client = this.client ?? (await this.connect());
      if (this.leader) {
        // A session that died without the socket noticing (a network cut) fails here.
        await client.query('select 1');
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [
        LOCK_KEY,
      ]);
      if (rows[0]?.locked === true && this.client === client && !this.closed) {
        this.leader = true;
        this.options.log.info('outbox relay: this replica now publishes events');
        this.options.events.onLeader();
      }
    } catch (error) {
      this.lose(error);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.url,
      keepAlive: true,
      query_timeout: this.options.queryTimeoutMs,
      connectionTimeoutMillis: this.options.queryTimeoutMs,
      application_name: 'helpdesk-api:outbox-relay',
    });
    client.on('error', (error) => this.lose(error, client));
    client.on('end', () => this.lose(undefined, client));
    client.on('notification', () => {
      if (this.leader) this.options.events.onNotify();
    });
    try {
      await client.connect();
      await client.query(`listen ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('closed');
    }
    this.client = client;
    return client;
  }

  /** The connection failed or ended: whatever the lock's state, this replica stops publishing. */
  private lose(error: unknown, client: pg.Client | undefined = this.client): void {
    if (client !== this.client || client === undefined) return;
    this.client = undefined;
    if (this.leader) {
      this.leader = false;
      if (!this.closed) this.options.log.warn({ err: error }, 'outbox relay: lost the lock; no longer publishing');
    } else if (!this.closed) {
      this.options.log.debug({ err: error }, 'outbox relay: lock connection failed');
    }
    client.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.ticking;
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    // Ending the session releases the lock at once, so another replica takes over on its next poll.
    await client?.end().catch(() => undefined);
  }
}
