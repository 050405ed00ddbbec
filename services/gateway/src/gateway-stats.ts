import type { Logger } from 'pino';
import type { TicketRefusalReason } from './socket-ticket.js';
import { emptyCatchUpStats, emptyGapFillStats, type CatchUpStats, type GapFillStats } from './gap-fill.js';
import { emptyReplayStats, type ReplayStats } from './replay.js';

// Counts, not per-frame or per-socket lines: a socket storm or a flood of refused upgrades must
// not turn into a flood of logs. A summary goes out once a minute when anything changed.

export type RefusalReason =
  'notFound' | 'draining' | 'rateLimited' | TicketRefusalReason | 'badLastEventId' | 'gatewayFull' | 'organizationFull';

export class GatewayStats {
  opened = 0;
  closed = 0;
  slowConsumers = 0;
  /** Payloads published to organization topics (live, gap fill and resync frames). */
  eventsForwarded = 0;
  /** Each of those times the sockets subscribed to its topic at that moment: frames fanned out. */
  framesPublished = 0;
  /** Bus payloads not forwarded because their id was forwarded already. */
  duplicatesDropped = 0;
  /** Frames those duplicates would have been: each times the sockets of its topic then. */
  duplicateFramesDropped = 0;
  /** Bytes still buffered for sockets closed as slow consumers: what they never received. */
  slowConsumerBytesDropped = 0;
  /** Sockets whose close frame could not go out within WS_CLOSE_TIMEOUT_MS: their connection was cut. */
  forcedCloses = 0;
  /**
   * Seconds from each forwarded event's change (its data's updated_at, Postgres' clock) to its
   * fan-out here; set by the metrics when registered.
   */
  observeEventDelay: (seconds: number) => void = () => undefined;
  /** Sockets closed because the API key their ticket was issued to was revoked. */
  revokedKeyCloses = 0;
  /** Sockets closed (1013) because their organization's bus subscription failed after they opened. */
  eventsUnavailableCloses = 0;
  readonly replays: ReplayStats = emptyReplayStats();
  /** The bus lost its connection and subscribed again (Redis restarted or unreachable for a while). */
  resubscribes = 0;
  /** Gaps left by those reconnects, filled from the history. */
  readonly gapFills: GapFillStats = emptyGapFillStats();
  /** Organizations whose first socket opened before their subscription was confirmed. */
  readonly catchUps: CatchUpStats = emptyCatchUpStats();
  readonly refused: Record<RefusalReason, number> = {
    notFound: 0,
    draining: 0,
    rateLimited: 0,
    ticketMissing: 0,
    ticketInvalid: 0,
    ticketExpired: 0,
    ticketOtherOrganization: 0,
    ticketKeyRevoked: 0,
    badLastEventId: 0,
    gatewayFull: 0,
    organizationFull: 0,
  };

  snapshot(): Record<string, unknown> {
    return {
      opened: this.opened,
      closed: this.closed,
      slowConsumers: this.slowConsumers,
      forcedCloses: this.forcedCloses,
      eventsForwarded: this.eventsForwarded,
      framesPublished: this.framesPublished,
      duplicatesDropped: this.duplicatesDropped,
      revokedKeyCloses: this.revokedKeyCloses,
      eventsUnavailableCloses: this.eventsUnavailableCloses,
      replays: { ...this.replays, resyncs: { ...this.replays.resyncs } },
      resubscribes: this.resubscribes,
      gapFills: { ...this.gapFills, resyncs: { ...this.gapFills.resyncs } },
      catchUps: { ...this.catchUps, resyncs: { ...this.catchUps.resyncs } },
      refused: { ...this.refused },
    };
  }
}

const SUMMARY_INTERVAL_MS = 60_000;

/** Logs the totals and the current gauges every minute while they change; returns a stop function. */
export function logStatsPeriodically(
  logger: Logger,
  stats: GatewayStats,
  gauges: () => Record<string, number>,
): () => void {
  let last = '';
  const timer = setInterval(() => {
    const summary = { ...stats.snapshot(), ...gauges() };
    const serialized = JSON.stringify(summary);
    if (serialized === last) return;
    last = serialized;
    logger.info(summary, 'gateway stats');
  }, SUMMARY_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
