import { Secret } from './secret.js';

// Helpers for each service's one config.ts: read the environment once, collect every problem,
// and fail at start with all bad variables named.

export type Env = Record<string, string | undefined>;

const REDIS_PROTOCOLS = ['redis:', 'rediss:'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export class ConfigReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }

  /** A required secret of at least `minLength` characters; its value never appears in a problem. */
  secret(name: string, minLength: number, purpose: string): Secret {
    const value = this.optionalString(name);
    if (value === undefined) this.problems.push(`${name} is required: ${purpose}`);
    else if (value.length < minLength) this.problems.push(`${name} must be at least ${minLength} characters long`);
    return new Secret(value ?? '');
  }

  /**
   * A Redis URL, or with `cluster` a comma-separated list of seed nodes' URLs, each checked;
   * no value is ever printed (it may hold a password).
   */
  redisUrl(name: string, cluster: boolean): string | undefined {
    if (!cluster) return this.url(name, REDIS_PROTOCOLS);
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    const seeds = raw.split(',').map((seed) => seed.trim());
    for (const [index, seed] of seeds.entries()) {
      const which = `${name} (seed ${index + 1} of ${seeds.length})`;
      try {
        if (!REDIS_PROTOCOLS.includes(new URL(seed).protocol))
          this.problems.push(`${which} must be a redis: or rediss: URL`);
      } catch {
        this.problems.push(`${which} is not a valid URL`);
      }
    }
    return raw;
  }

  /**
   * REDIS_PREFIX: the start of every Redis channel and key, so deployments (or test runs) can
   * share one Redis; api and gateways must agree. No braces: the keys kept beside a channel put
   * it in a hash tag (`{<channel>}:history`), which a brace in the prefix would cut short, and on
   * a Cluster the two would land in different slots.
   */
  redisPrefix(): string {
    const prefix = this.string('REDIS_PREFIX', 'helpdesk:');
    if (/[{}]/.test(prefix)) this.problems.push('REDIS_PREFIX must not contain "{" or "}"');
    return prefix;
  }

  /**
   * HISTORY_MAX_EVENTS / HISTORY_MAX_AGE_SECONDS: how much of each organization's event history
   * is kept for reconnecting sockets. The api (which writes it) and the gateways (which read it)
   * must agree, so both read it here.
   */
  historyLimits(): { maxEvents: number; maxAgeMs: number } {
    return {
      maxEvents: this.int('HISTORY_MAX_EVENTS', 1000, 1, 1_000_000),
      maxAgeMs: this.int('HISTORY_MAX_AGE_SECONDS', 3600, 1, 7 * 86_400) * 1000,
    };
  }

  /** Record a problem found by a cross-variable check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws ConfigError naming every bad variable, if any. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
