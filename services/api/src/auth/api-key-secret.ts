import { createHash, randomBytes } from 'node:crypto';

// API keys: 256 random bits, shown once, stored only as their SHA-256. The prefix makes a leaked
// key recognisable to secret scanners and people.
const KEY_PREFIX = 'hdk_';

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
