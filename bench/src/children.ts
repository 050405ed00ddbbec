// The load generator's own child processes (socket workers and the driver), with a small typed
// inbox over the IPC channel.

import { fork, type ChildProcess } from 'node:child_process';

export class Child<In extends { ev: string }, Out> {
  private readonly inbox: In[] = [];
  private readonly waiters: Array<{ ev: string; resolve: (m: In) => void; reject: (e: Error) => void }> = [];
  private exitError: Error | undefined;
  readonly process: ChildProcess;

  constructor(
    readonly name: string,
    script: string,
  ) {
    this.process = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (message: In) => {
      if (message.ev === 'fatal') {
        this.fail(new Error(`${name}: ${(message as unknown as { message: string }).message}`));
        return;
      }
      const at = this.waiters.findIndex((w) => w.ev === message.ev);
      if (at >= 0) this.waiters.splice(at, 1)[0]!.resolve(message);
      else this.inbox.push(message);
    });
    this.process.on('exit', (code, signal) => {
      this.fail(new Error(`${name} exited (code ${code}, signal ${signal})`));
    });
  }

  private fail(error: Error): void {
    this.exitError ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  send(message: Out): void {
    this.process.send(message as object);
  }

  /** The next message of kind `ev` (already received or still to come), within `timeoutMs`. */
  next<E extends In['ev']>(ev: E, timeoutMs: number): Promise<Extract<In, { ev: E }>> {
    const at = this.inbox.findIndex((m) => m.ev === ev);
    if (at >= 0) return Promise.resolve(this.inbox.splice(at, 1)[0] as Extract<In, { ev: E }>);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const waiter = {
        ev,
        resolve: (m: In) => {
          clearTimeout(timer);
          resolve(m as Extract<In, { ev: E }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no ${ev} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks it to finish (by message, when given), then SIGKILLs it after `graceMs`. */
  async stop(message: Out | undefined, graceMs = 3000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    try {
      if (message !== undefined && this.process.connected) this.send(message);
      else this.process.kill('SIGTERM');
    } catch {
      this.process.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
