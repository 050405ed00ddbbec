import { isIP } from 'node:net';

// Who is connecting, for the connection-rate limit (issue 3, item 5).
//
// Behind proxies the TCP peer is the nearest proxy, and each proxy appends the address it saw to
// X-Forwarded-For (nginx's $proxy_add_x_forwarded_for, as in deploy/nginx/nginx.conf). Only the
// entries appended by proxies we run can be believed: whatever is left of them came from the
// client, who can write anything there. So with N trusted proxies the client is the N-th address
// from the right of [...X-Forwarded-For, peer], never the first entry (which a client picks at
// will, to dodge its own limit or to spend someone else's).

/**
 * The client's address: the peer itself when no proxy is trusted, otherwise the address the
 * outermost trusted proxy saw. An entry that is not an IP address (a misconfigured proxy) is not
 * believed; the peer is used instead.
 */
export function clientAddress(peer: string, forwardedFor: string, trustedProxies: number): string {
  if (trustedProxies === 0 || forwardedFor === '') return peer;
  const chain = forwardedFor
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  chain.push(peer);
  const client = chain[Math.max(0, chain.length - 1 - trustedProxies)] ?? peer;
  return isIP(client) === 0 ? peer : client;
}

/**
 * The key an address is limited under: an IPv4 address itself (also when written IPv4-mapped,
 * `::ffff:1.2.3.4`), an IPv6 address by its /64 — one subscriber usually holds a whole /64, and
 * would otherwise get a fresh budget from each of its 2^64 addresses.
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  const [a, b, c, d, e, f, g, h] = groups as [number, number, number, number, number, number, number, number];
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`;
  }
  return `${[a, b, c, d].map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id and embedded IPv4 allowed). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0] ?? '';
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = text.split('::');
  const parse = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const groups =
    halves.length === 2 ? [...head, ...Array<number>(8 - head.length - rest.length).fill(0), ...rest] : head;
  if (groups.length !== 8 || groups.some((group) => !Number.isInteger(group) || group < 0 || group > 0xffff)) {
    return undefined;
  }
  return groups;
}
