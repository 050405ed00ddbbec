// Revoked API keys, announced by the api to every gateway: a socket opened with a ticket of a
// revoked key is closed, and the key's tickets still unexpired open no new socket. Carried on one
// fleet-wide channel beside the organizations' (never forwarded to a socket).

/** The channel every gateway subscribes to at start, for as long as it runs. */
export function keyRevocationsChannel(prefix: string): string {
  return `${prefix}control:key-revocations`;
}

interface KeyRevokedMessage {
  type: 'key_revoked';
  /** The revoked key's uuid, as tickets name it (`kid`). */
  key: string;
}

export function encodeKeyRevoked(keyUuid: string): string {
  const message: KeyRevokedMessage = { type: 'key_revoked', key: keyUuid };
  return JSON.stringify(message);
}

/** The revoked key's uuid, or undefined for anything that is not a key_revoked message. */
export function decodeKeyRevoked(payload: Buffer | string): string | undefined {
  try {
    const message = JSON.parse(payload.toString()) as Partial<KeyRevokedMessage> | null;
    return message?.type === 'key_revoked' && typeof message.key === 'string' ? message.key : undefined;
  } catch {
    return undefined;
  }
}
