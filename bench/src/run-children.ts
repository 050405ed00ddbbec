import { join } from 'node:path';
import { Child } from './children.js';
import type { FromDriver, FromSocketWorker, ToDriver, ToSocketWorker } from './ipc.js';

export type SocketWorker = Child<FromSocketWorker, ToSocketWorker>;
export type Driver = Child<FromDriver, ToDriver>;

/** The run's load-generator processes, all stopped by stopAll(). */
export class Children {
  private readonly workers: SocketWorker[] = [];
  private readonly drivers: Driver[] = [];

  constructor(private readonly distDir: string) {}

  async socketWorkers(count: number): Promise<SocketWorker[]> {
    const created = Array.from(
      { length: count },
      (_, i) =>
        new Child<FromSocketWorker, ToSocketWorker>(`socket-worker#${i}`, join(this.distDir, 'socket-worker.js')),
    );
    this.workers.push(...created);
    await Promise.all(created.map((w) => w.next('ready', 20_000)));
    return created;
  }

  async driver(): Promise<Driver> {
    const driver = new Child<FromDriver, ToDriver>('driver', join(this.distDir, 'driver-worker.js'));
    this.drivers.push(driver);
    await driver.next('ready', 20_000);
    return driver;
  }

  async stopAll(): Promise<void> {
    await Promise.all([
      ...this.workers.map((w) => w.stop({ cmd: 'close' })),
      ...this.drivers.map((d) => d.stop(undefined)),
    ]);
  }
}
