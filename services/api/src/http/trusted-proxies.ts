/**
 * Fastify's trustProxy for `hops` proxies in front: X-Forwarded-For is believed for the entries
 * those proxies appended, the client being the address the outermost one saw, as the gateway's
 * WS_TRUST_PROXY reads it. (Fastify itself trusts nothing when given a bare number.)
 */
export function trustedHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}
