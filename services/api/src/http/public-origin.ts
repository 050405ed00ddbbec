import type { AddressInfo } from 'node:net';

// The origin of every absolute URL the api writes (a Message's `file`). Those URLs are stored in
// the outbox and sent to every socket of the organization and to its webhook, so they must never
// come from a request header: any key of the organization could otherwise point the links other
// agents click (with their Bearer key) at its own server (issue 13, item 1).

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The origin of a server listening on `host`:`port`, as a client on the same machine reaches it:
 * `localhost` for a wildcard address, an IPv6 literal in brackets.
 */
export function listeningOrigin(host: string, port: number): string {
  const name = WILDCARD_HOSTS.has(host)
    ? 'localhost'
    : host.includes(':') && !host.startsWith('[')
      ? `[${host}]`
      : host;
  return `http://${name}:${port}`;
}

/** The port a server is bound to, or undefined before it listens. */
export function boundPort(address: AddressInfo | string | null): number | undefined {
  return address !== null && typeof address === 'object' ? address.port : undefined;
}
