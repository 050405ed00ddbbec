/**
 * Close codes the gateway sends: part of the socket contract (ours), since clients act on them.
 * After any but keyRevoked, a client reconnects with `?last_event_id=<the last id it saw>` to be
 * sent what it missed.
 */
export const CLOSE_CODES = {
  /** RFC 6455 §7.4.1 "Service Restart": this gateway is draining; reconnect, likely elsewhere. */
  serviceRestart: 1012,
  /**
   * Ours (4000–4999 is the application range): the client read too slowly and its outgoing
   * buffer stayed over WS_MAX_BACKPRESSURE_BYTES. Chosen over 1008 "Policy Violation" because a
   * client can act on this exact cause (reconnect, then resync) without guessing. Also sent to a
   * socket being replayed to while more live events arrived for it than WS_REPLAY_BUFFER_BYTES.
   */
  slowConsumer: 4008,
  /** RFC 6455 §7.4.1 "Internal Error": a replay failed unexpectedly (a bug); reconnect. */
  internalError: 1011,
  /**
   * Ours: the API key the socket's ticket was issued to was revoked. A new ticket needs a valid
   * key; reconnecting with the same ticket is refused (401).
   */
  keyRevoked: 4001,
  /**
   * IANA registry "Try Again Later": the socket opened, but the gateway could not subscribe to its
   * organization's events (Redis refused the SUBSCRIBE), so it would stay silent; reconnect.
   */
  eventsUnavailable: 1013,
} as const;

export const CLOSE_REASONS = {
  serviceRestart: 'Service restart',
  slowConsumer: 'Slow consumer',
  internalError: 'Internal error',
  keyRevoked: 'API key revoked',
  eventsUnavailable: 'Events unavailable',
} as const;
