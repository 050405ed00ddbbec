import {
  CHAT_SOCKET_PATH_PREFIX,
  ERROR_MESSAGES,
  isValidOrganizationName,
  organizationChannel,
  CLOSE_CODES,
  CLOSE_REASONS,
} from '@helpdesk/shared';
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import { hardBackpressureLimit, type BackpressureGuard } from './backpressure-guard.js';
import { rateLimitKey } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { ConnectionRateLimiter } from './connection-rate-limiter.js';
import type { GatewayStats } from './gateway-stats.js';
import { sendDetail } from './http-response.js';
import { LAST_EVENT_ID_DETAIL, lastEventIdOf } from './last-event-id.js';
import type { OrganizationTopics } from './organization-topics.js';
import { presentedTicket, type TicketChecker } from './socket-ticket.js';
import type { Replay } from './replay.js';
import type { TopicFeed } from './topic-feed.js';
import { uWS } from './uws-native.js';
import type { SocketCloser } from './socket-closer.js';
import type { SocketRegistry } from './socket-registry.js';
import { requestClientAddress } from './uws-client-address.js';

// `/ws/chat/<organization_name>/` (CONTRACT.md, WebSocket), with or without the trailing slash.
// Everything that can refuse a socket happens in `upgrade`, before the handshake, so a refused
// client gets an HTTP status and a DRF-shaped body instead of an opened-then-closed socket. The
// cheap checks that need no state come first (connection rate, path, drain, ticket, the form of
// last_event_id), so a client without a valid ticket never takes a slot or causes a bus
// subscription. The ticket and the query string are never logged.
//
// A socket without `last_event_id` subscribes to its organization's topic in `open` (or stands by
// while the topic fills a gap). One with it is handed to the TopicFeed, which replays what it
// missed and subscribes it after (replay.ts).
//
// The upgrade never waits: the socket opens inside this handler, where uWS corks the 101 (an
// upgrade after an await prints "uWS.HttpResponse writes must be made from within a corked
// callback", and inside cork() after an await this uWS build may close the new socket right after
// `open`: uNetworking/uWebSockets#1928). The first socket of an organization here therefore opens
// before the bus confirmed the organization's subscription: the floor is read and the SUBSCRIBE
// sent first, and the topic catches up with what the bus missed until then (TopicFeed.catchUp).
// If the SUBSCRIBE fails, the socket is closed with 1013 (events unavailable) rather than left
// open and silent.

export const CHAT_SOCKET_PATTERN = `${CHAT_SOCKET_PATH_PREFIX}*`;

/** Per-socket state, kept in uWS's typed user data. */
export interface ChatSocketData {
  organization: string;
  /** The organization's uWS topic, which is also its bus channel. */
  topic: string;
  /** `?last_event_id=`: the socket wants what it missed after that id. */
  lastEventId: number | undefined;
  /** Its replay (or what stands by for it while its topic fills a gap), from `open` until it closes. */
  replay: Replay<ChatSocket> | undefined;
  /**
   * Its hold on the organization's bus subscription (OrganizationTopics), taken in `upgrade`:
   * `pending` until the bus confirms a SUBSCRIBE sent for it, `none` once given back.
   */
  hold: 'held' | 'pending' | 'none';
  /** While `hold` is pending: the topic's newest id and the SUBSCRIBE, both asked for before the 101. */
  subscribing: { floor: Promise<number | undefined>; subscribed: Promise<void> } | undefined;
  /** The close handler ran: the socket must not be touched any more. */
  closed: boolean;
  /** The uuid of the API key its ticket was issued to, if the ticket names it. */
  keyId: string | undefined;
}

export type ChatSocket = WebSocket<ChatSocketData>;

export interface ChatSocketRouteOptions {
  config: GatewayConfig;
  topics: OrganizationTopics;
  feed: TopicFeed<ChatSocket>;
  guard: BackpressureGuard<ChatSocket>;
  closer: SocketCloser<ChatSocket>;
  registry: SocketRegistry<ChatSocket>;
  logger: Logger;
  stats: GatewayStats;
  rateLimiter: ConnectionRateLimiter;
  tickets: TicketChecker;
  /** Wall clock, in ms, for ticket expiry. */
  now(): number;
  isDraining(): boolean;
}

const DETAILS = {
  draining: 'The server is shutting down; reconnect.',
  gatewayFull: 'Too many connections on this server.',
  organizationFull: 'Too many connections for this organization.',
  rateLimited: 'Too many connection attempts; retry later.',
} as const;

// RFC 9110 §11.6.1: a 401 carries a challenge. The credential here is a socket ticket, not a key.
const TICKET_CHALLENGE = { 'WWW-Authenticate': 'Ticket realm="helpdesk-chat"' } as const;

/** The organization named by the path, or undefined if the path names none validly. */
export function organizationFromPath(path: string): string | undefined {
  if (!path.startsWith(CHAT_SOCKET_PATH_PREFIX)) return undefined;
  let name = path.slice(CHAT_SOCKET_PATH_PREFIX.length);
  if (name.endsWith('/')) name = name.slice(0, -1);
  return isValidOrganizationName(name) ? name : undefined;
}

export function chatSocketBehavior(options: ChatSocketRouteOptions): WebSocketBehavior<ChatSocketData> {
  const { config, topics, feed, guard, closer, registry, logger, stats, rateLimiter, tickets } = options;

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    // Nothing here awaits: every answer, the 101 included, is written within this call.
    // req is only valid during this call; copy what the handshake needs now.
    const organization = organizationFromPath(req.getUrl());
    const key = req.getHeader('sec-websocket-key');
    const extensions = req.getHeader('sec-websocket-extensions');
    // Before getQuery('token'): uWS decodes a parameter's value in place, inside the raw query.
    const lastEventId = lastEventIdOf(req.getQuery());
    const ticket = presentedTicket(req.getQuery('token'), req.getHeader('sec-websocket-protocol'));

    if (rateLimiter.enabled) {
      const decision = rateLimiter.take(rateLimitKey(requestClientAddress(res, req, config.trustedProxies)));
      if (!decision.allowed) {
        stats.refused.rateLimited += 1;
        sendDetail(res, 429, DETAILS.rateLimited, { 'Retry-After': String(decision.retryAfterSeconds) });
        return;
      }
    }
    if (organization === undefined) {
      stats.refused.notFound += 1;
      sendDetail(res, 404, ERROR_MESSAGES.notFound);
      return;
    }
    if (options.isDraining()) {
      stats.refused.draining += 1;
      sendDetail(res, 503, DETAILS.draining);
      return;
    }
    const admission = tickets.admit(ticket.token, organization, options.now());
    if (admission.refusal) {
      const { reason, status, detail } = admission.refusal;
      stats.refused[reason] += 1;
      sendDetail(res, status, detail, status === 401 ? TICKET_CHALLENGE : {});
      return;
    }
    if (lastEventId === null) {
      stats.refused.badLastEventId += 1;
      sendDetail(res, 400, LAST_EVENT_ID_DETAIL);
      return;
    }
    const refusal = registry.reserve(organization);
    if (refusal === 'gateway-full') {
      stats.refused.gatewayFull += 1;
      logger.debug({ organization }, 'socket refused: gateway full');
      sendDetail(res, 503, DETAILS.gatewayFull);
      return;
    }
    if (refusal === 'organization-full') {
      stats.refused.organizationFull += 1;
      logger.debug({ organization }, 'socket refused: organization full');
      sendDetail(res, 429, DETAILS.organizationFull);
      return;
    }

    const topic = organizationChannel(config.redisPrefix, organization);
    const held = topics.holdIfSubscribed(topic);
    const userData: ChatSocketData = {
      organization,
      topic,
      lastEventId,
      replay: undefined,
      hold: held ? 'held' : 'pending',
      // First socket of the organization here (or its subscription is changing): both requests
      // leave before the 101, so the floor and the SUBSCRIBE come before any event the client
      // could cause once it sees the socket open.
      subscribing: held ? undefined : { floor: feed.learnFloor(topic), subscribed: topics.acquire(topic) },
      closed: false,
      keyId: admission.claims.kid,
    };
    // uWS calls `open` synchronously in here, and `open` takes over the slot and the hold (given
    // back in `close`).
    res.upgrade(userData, key, ticket.protocol, extensions, context);
  };

  /** The first socket's hold: caught up once the bus confirms it, closed with 1013 if it fails. */
  const awaitSubscription = (ws: ChatSocket, data: ChatSocketData): void => {
    const { subscribing } = data;
    if (!subscribing) return;
    data.subscribing = undefined;
    const subscribed = subscribing.subscribed.then(
      () => true,
      () => false,
    );
    feed.catchUp(data.topic, subscribing.floor, subscribed);
    subscribing.subscribed.then(
      () => {
        if (!data.closed) {
          data.hold = 'held';
          return;
        }
        // Closed while the SUBSCRIBE was in flight: the hold could only be given back now.
        data.hold = 'none';
        topics.release(data.topic);
      },
      (error: unknown) => {
        // OrganizationTopics gave the hold back already.
        data.hold = 'none';
        logger.warn({ err: error, organization: data.organization }, 'socket closed: its subscription failed');
        if (data.closed) return;
        stats.eventsUnavailableCloses += 1;
        closer.close(ws, CLOSE_CODES.eventsUnavailable, CLOSE_REASONS.eventsUnavailable);
      },
    );
  };

  return {
    compression: uWS.DISABLED,
    maxPayloadLength: config.maxPayloadLength,
    idleTimeout: config.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // The hard ceiling; BackpressureGuard closes slow consumers well before it, with a reason.
    maxBackpressure: hardBackpressureLimit(config.maxBackpressureBytes),
    // Typed as a number in this package's typings (uWebSockets.js#1037); read as a boolean.
    closeOnBackpressureLimit: 1,
    upgrade,
    open: (ws) => {
      const data = ws.getUserData();
      // Before the catch-up below: the socket that starts one is subscribed at once.
      if (data.lastEventId === undefined) data.replay = feed.join(ws, data.topic);
      registry.add(data.topic, ws);
      // After add: the feed keeps the topic's last id only while the topic has sockets.
      awaitSubscription(ws, data);
      if (data.lastEventId !== undefined) data.replay = feed.replay(ws, data.topic, data.lastEventId);
      stats.opened += 1;
      logger.debug({ organization: data.organization, replay: data.lastEventId !== undefined }, 'socket opened');
    },
    drain: (ws) => {
      // A socket being closed only waits for its buffer to empty.
      if (closer.drained(ws)) return;
      const { replay } = ws.getUserData();
      if (replay) feed.drained(replay);
    },
    // Clients have nothing to say on this socket (events flow one way); pings and pongs are
    // handled by uWS, and a frame over maxPayloadLength makes uWS drop the connection.
    message: () => undefined,
    close: (ws, code) => {
      const data = ws.getUserData();
      const { organization, topic, replay } = data;
      data.closed = true;
      closer.closed(ws);
      if (replay) feed.left(replay);
      registry.remove(organization, topic, ws);
      if (!registry.socketsIn(topic)) {
        feed.forget(topic);
        guard.forget(topic);
      }
      // A pending hold is given back once its SUBSCRIBE settles (awaitSubscription).
      if (data.hold === 'held') {
        data.hold = 'none';
        topics.release(topic);
      }
      stats.closed += 1;
      logger.debug({ organization, code }, 'socket closed');
    },
  };
}
