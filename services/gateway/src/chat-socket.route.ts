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
import type { SocketRegistry } from './socket-registry.js';
import { requestClientAddress } from './uws-client-address.js';

// `/ws/chat/<organization_name>/` (CONTRACT.md, WebSocket), with or without the trailing slash.
// Everything that can refuse a socket happens in `upgrade`, before the handshake, so a refused
// client gets an HTTP status and a DRF-shaped body instead of an opened-then-closed socket. The
// cheap checks that need no state come first (connection rate, path, drain, ticket, the form of
// last_event_id), so a client without a valid ticket never takes a slot or causes a bus
// subscription. The ticket and the query string are never logged.
//
// A socket without `last_event_id` subscribes to its organization's topic in `open`. One with it
// is handed to the TopicFeed, which replays what it missed and subscribes it after (replay.ts).
// Either way the organization's bus subscription is in place before `open`.

export const CHAT_SOCKET_PATTERN = `${CHAT_SOCKET_PATH_PREFIX}*`;

/** Per-socket state, kept in uWS's typed user data. */
export interface ChatSocketData {
  organization: string;
  /** The organization's uWS topic, which is also its bus channel. */
  topic: string;
  /** `?last_event_id=`: the socket wants what it missed after that id. */
  lastEventId: number | undefined;
  /** Its replay, from `open` until the socket closes. */
  replay: Replay<ChatSocket> | undefined;
  /** First socket of its organization here: the topic's newest id, read before subscribing. */
  floor: number | undefined;
  /** The uuid of the API key its ticket was issued to, if the ticket names it. */
  keyId: string | undefined;
}

export type ChatSocket = WebSocket<ChatSocketData>;

export interface ChatSocketRouteOptions {
  config: GatewayConfig;
  topics: OrganizationTopics;
  feed: TopicFeed<ChatSocket>;
  guard: BackpressureGuard<ChatSocket>;
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
  eventsUnavailable: 'Events are unavailable right now; reconnect.',
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
  const { config, topics, feed, guard, registry, logger, stats, rateLimiter, tickets } = options;

  const upgrade = (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    // Registered before anything else: the client may vanish while we wait for the bus.
    const handshake = { aborted: false };
    res.onAborted(() => {
      handshake.aborted = true;
    });
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

    const userData: ChatSocketData = {
      organization,
      topic: organizationChannel(config.redisPrefix, organization),
      lastEventId,
      replay: undefined,
      floor: undefined,
      keyId: admission.claims.kid,
    };
    // uWS calls `open` synchronously inside res.upgrade, and `open` takes over the slot and the
    // topic hold (given back in `close`). Never inside res.cork(), even after an await: this uWS
    // build's cork() may then read the new socket's memory as HTTP state and close the socket
    // right after `open` (uNetworking/uWebSockets#1928, fixed by #1929 only in builds that need a
    // newer glibc). Uncorked, uWS writes the 101 at once, and prints a warning to stderr for each
    // such late upgrade (first socket of an organization on this gateway); the warning is harmless.
    const accept = (): void => {
      res.upgrade(userData, key, ticket.protocol, extensions, context);
    };
    if (topics.holdIfSubscribed(userData.topic)) {
      accept();
      return;
    }
    // First socket of the organization here: open only once the bus delivers its events, so a
    // client that sees `open` does not miss an event published right after.
    // The floor is read before subscribing, so every event the gateway could miss is above it;
    // the socket installs it in `open` (installed earlier, a closing socket could forget it).
    feed
      .learnFloor(userData.topic)
      .then((floor) => {
        userData.floor = floor;
        return topics.acquire(userData.topic);
      })
      .then(
        () => {
          if (!handshake.aborted && !options.isDraining()) {
            accept();
            return;
          }
          topics.release(userData.topic);
          registry.unreserve(organization);
          if (handshake.aborted) return;
          stats.refused.draining += 1;
          sendDetail(res, 503, DETAILS.draining);
        },
        (error: unknown) => {
          registry.unreserve(organization);
          logger.debug({ err: error, organization }, 'socket refused: subscription failed');
          if (handshake.aborted) return;
          stats.refused.eventsUnavailable += 1;
          sendDetail(res, 503, DETAILS.eventsUnavailable);
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
      if (data.lastEventId === undefined) ws.subscribe(data.topic);
      registry.add(data.topic, ws);
      if (data.floor !== undefined) feed.installFloor(data.topic, data.floor);
      // After add: the feed keeps the topic's last id only while the topic has sockets.
      if (data.lastEventId !== undefined) data.replay = feed.replay(ws, data.topic, data.lastEventId);
      stats.opened += 1;
      logger.debug({ organization: data.organization, replay: data.lastEventId !== undefined }, 'socket opened');
      // Its key may have been revoked while the upgrade waited for the bus (first socket of an
      // organization here): the revocation closed the sockets open then, not this one. Last, so
      // the close handler gives back what open took.
      if (tickets.isRevoked(data.keyId, options.now())) {
        stats.revokedKeyCloses += 1;
        ws.end(CLOSE_CODES.keyRevoked, CLOSE_REASONS.keyRevoked);
      }
    },
    drain: (ws) => {
      const { replay } = ws.getUserData();
      if (replay) feed.drained(replay);
    },
    // Clients have nothing to say on this socket (events flow one way); pings and pongs are
    // handled by uWS, and a frame over maxPayloadLength makes uWS drop the connection.
    message: () => undefined,
    close: (ws, code) => {
      const { organization, topic, replay } = ws.getUserData();
      if (replay) feed.left(replay);
      registry.remove(organization, topic, ws);
      if (!registry.socketsIn(topic)) {
        feed.forget(topic);
        guard.forget(topic);
      }
      topics.release(topic);
      stats.closed += 1;
      logger.debug({ organization, code }, 'socket closed');
    },
  };
}
