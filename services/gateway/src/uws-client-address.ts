import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { clientAddress } from './client-address.js';

/**
 * The client's address of a uWS request, believing X-Forwarded-For only as far as `trustedProxies`
 * proxies of ours appended to it (WS_TRUST_PROXY). Read during the handler: req dies after it.
 */
export function requestClientAddress(res: HttpResponse, req: HttpRequest, trustedProxies: number): string {
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
  if (trustedProxies === 0) return peer;
  const forwardedFor: string[] = [];
  req.forEach((header, value) => {
    if (header === 'x-forwarded-for') forwardedFor.push(value);
  });
  return clientAddress(peer, forwardedFor.join(', '), trustedProxies);
}
