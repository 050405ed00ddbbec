import { IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

// Upgrade requests the api hands over instead of serving them: in the embedded mode, the chat
// sockets, which the gateway behind the one port holds. Every other request that asks for an
// upgrade (curl --http2's `Upgrade: h2c` on a plain GET, say) is served as plain HTTP, as the api
// does on its own port.
//
// Node 20 gives every upgrade request to the server's 'upgrade' listener once there is one
// (`shouldUpgradeCallback`, which chooses, came in Node 22.21 and 24.9). What it goes by is the
// request's `upgrade` flag, read once the whole head is parsed (parserOnIncoming,
// onParserExecuteCommon in lib/_http_server.js): a request class whose flag stays true only for
// the upgrades taken over lets Node serve the rest as it does with no listener at all.

/** Upgrade requests the api hands over (Node's 'upgrade' event) instead of serving them. */
export interface UpgradeRoute {
  /** Whether this upgrade request is the route's; it reads the head (url, method, headers) only. */
  accepts(request: IncomingMessage): boolean;
  /** Takes the connection over; `head` holds what arrived after the request head. */
  handle(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** What the parser said, kept by the `upgrade` accessor below. */
const ASKED = Symbol('upgrade asked');

/**
 * The request class of a server that hands `route`'s upgrades over: its `upgrade` flag is what
 * the parser said, but only for requests the route takes (and for CONNECT, which goes to 'connect'
 * listeners). An upgrade needs HTTP/1.1 with Host: the parser flags HTTP/1.0 upgrades too, which a
 * server must ignore (RFC 9110 §7.8), and one without Host is refused like any such request.
 */
export function upgradeAwareRequests(route: Pick<UpgradeRoute, 'accepts'>): typeof IncomingMessage {
  return class UpgradeAwareRequest extends IncomingMessage {
    // Not a field that would be initialized: IncomingMessage's constructor assigns `upgrade` too,
    // through the setter.
    declare [ASKED]: boolean | undefined;

    get upgrade(): boolean {
      if (this[ASKED] !== true) return false;
      if (this.method === 'CONNECT') return true;
      return this.httpVersion === '1.1' && this.headers.host !== undefined && route.accepts(this);
    }

    set upgrade(asked: boolean) {
      this[ASKED] = asked;
    }
  };
}

/** Hands `route`'s upgrades over; the server must have been made with upgradeAwareRequests(route). */
export function handOverUpgrades(server: Server, route: UpgradeRoute): void {
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    route.handle(request, socket, head);
  });
}
