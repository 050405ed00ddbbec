import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { withTimeout } from '@helpdesk/shared';

// Webhook URLs are given by administrators, but the api POSTs to them from inside the
// deployment: to loopback, link-local (cloud metadata at 169.254.169.254) or private addresses that
// would reach what only the deployment should reach (SSRF). Such targets are refused when a webhook
// is set and, because a name may resolve elsewhere later (DNS rebinding), again on the address each
// delivery actually connects to (issue 13, item 8). WEBHOOK_ALLOW_PRIVATE=true turns both off.

/** How ipaddr.js names the ranges refused, in words for an answer or a log line. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified',
  loopback: 'a loopback',
  private: 'a private',
  uniqueLocal: 'a private (unique local)',
  linkLocal: 'a link-local',
  carrierGradeNat: 'a shared (carrier-grade NAT)',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
};

/**
 * Why `address` (an IP literal) is not a public unicast address, as "a loopback address", or
 * undefined when it is one. IPv4 addresses written as IPv6 (::ffff:127.0.0.1, and the NAT64 form
 * 64:ff9b::7f00:1) are judged as the IPv4 address they reach.
 */
export function nonPublicKind(address: string): string | undefined {
  let parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6' && parsed.range() === 'rfc6052') {
    const [high = 0, low = 0] = (parsed as ipaddr.IPv6).parts.slice(6);
    parsed = new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  }
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  return `${RANGE_WORDS[range] ?? 'a reserved'} address`;
}

/** A connection refused because the address is not public; its message says which and why. */
export class NonPublicAddressError extends Error {
  readonly code = 'ENONPUBLICADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'NonPublicAddressError';
  }
}

/** Why a host (a name or an IP literal, without brackets) resolved to `address` is refused, or undefined. */
function refusal(host: string, address: string): string | undefined {
  const kind = nonPublicKind(address);
  if (kind === undefined) return undefined;
  const what = host === address ? `${address} is ${kind}` : `${host} resolves to ${address}, ${kind}`;
  return `${what}; webhooks only go to public addresses`;
}

/**
 * `dns.lookup` for `net.connect`: fails with NonPublicAddressError when the name resolves to any
 * address that is not public, so a connection is only ever opened to one that is. Given to the
 * delivery's HTTP agent, the check is on the very addresses it connects to, not an earlier answer.
 */
export const publicAddressLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '');
    for (const { address } of addresses) {
      const refused = refusal(hostname, address);
      if (refused !== undefined) return callback(new NonPublicAddressError(refused), '');
    }
    if (options.all === true) return callback(null, addresses);
    const [first] = addresses;
    if (first === undefined)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
    return callback(null, first.address, first.family);
  });
};

/**
 * An IP literal in a URL's host is connected to without a lookup, so it is judged here: why it is
 * refused, or undefined (a public address, or a name: names are judged by publicAddressLookup).
 */
export function literalRefusal(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? undefined : refusal(host, host);
}

const lookupAll = promisify(dnsLookup);

/**
 * When a webhook is set: why its URL is refused, or undefined. An IP literal is judged as it is;
 * a name by what it resolves to now. A name that does not resolve (yet), or not within
 * `timeoutMs`, is accepted: each delivery checks the address it connects to anyway.
 */
export async function urlRefusal(url: URL, timeoutMs: number): Promise<string | undefined> {
  const literal = literalRefusal(url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (literal !== undefined || isIP(host) !== 0) return literal;
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout(lookupAll(host, { all: true }), timeoutMs);
  } catch {
    return undefined;
  }
  for (const { address } of addresses) {
    const refused = refusal(host, address);
    if (refused !== undefined) return refused;
  }
  return undefined;
}
