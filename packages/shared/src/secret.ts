import { inspect } from 'node:util';

/**
 * A configuration value that must never reach a log: JSON serialization
 * (pino), util.inspect (console, error messages) and string conversion all print a placeholder.
 * Only reveal() gives the value, at the one place that uses it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
