/**
 * Close codes the gateway sends. Clients should reconnect after either (and, once replay lands,
 * ask for what they missed with the last event id they saw).
 */
export const CLOSE_CODES = {
  /** RFC 6455 §7.4.1 "Service Restart": this gateway is draining; reconnect, likely elsewhere. */
  serviceRestart: 1012,
  /**
   * Ours (4000–4999 is the application range): the client read too slowly and its outgoing
   * buffer stayed over WS_MAX_BACKPRESSURE_BYTES. Chosen over 1008 "Policy Violation" because a
   * client can act on this exact cause (reconnect, then resync) without guessing.
   */
  slowConsumer: 4008,
} as const;

export const CLOSE_REASONS = {
  serviceRestart: 'Service restart',
  slowConsumer: 'Slow consumer',
} as const;
