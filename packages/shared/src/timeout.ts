/** A wait that ran out; `code` as Node gives a timed-out connection, so callers can treat both alike. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/**
 * The promise's value, or a TimeoutError once `ms` passed without one. The timer is cleared as
 * soon as either happens and never holds the process open. The promise itself goes on; a caller
 * that must stop it too passes it an AbortSignal of its own.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, message = `no answer in ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Waits for the promise at most `ms`; after that, stops waiting (the promise goes on). */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  try {
    await withTimeout(promise, ms);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
  }
}
