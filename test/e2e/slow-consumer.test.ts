import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RedisBus,
  encodeEnvelope,
  issueTicket,
  organizationChannel,
  chatSocketPath,
} from '../../packages/shared/src/index.js';
import { REPO_ROOT, startService, type ServiceProcess } from '../process-harness.js';
import { redisPrefix, testEnv } from '../test-env.js';
import { RecordingSocket } from '../ws-client.js';
import { E2E_SECRET_KEY } from './contract-scenario.js';

const LIMIT_BYTES = 256 * 1024;

/** The gateway process's resident memory, from /proc (Linux). */
function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error('no VmRSS');
  return Number(match[1]) * 1024;
}

// A client that stops reading must cost the gateway a bounded buffer, not memory without limit.
describe('slow consumer against a gateway process', () => {
  let gateway: ServiceProcess;
  let bus: RedisBus;
  let prefix: string;

  beforeAll(async () => {
    prefix = redisPrefix();
    gateway = await startService(join(REPO_ROOT, 'services/gateway/dist/main.js'), {
      REDIS_URL: testEnv().redisUrl,
      REDIS_PREFIX: prefix,
      SECRET_KEY: E2E_SECRET_KEY,
      WS_MAX_BACKPRESSURE_BYTES: String(LIMIT_BYTES),
    });
    bus = new RedisBus({ url: testEnv().redisUrl, connectionName: 'hd-test-slow-consumer' });
  });
  afterAll(async () => {
    await bus?.close();
    await gateway?.stop();
  });

  it('is closed with 4008 while a reading socket gets every frame, and RSS stays far below what was sent', async () => {
    const url = `ws://127.0.0.1:${gateway.port}${chatSocketPath('acme')}?token=${issueTicket(E2E_SECRET_KEY, 'acme', 60).token}`;
    const slow = await RecordingSocket.open(url);
    const fast = await RecordingSocket.open(url);
    slow.ws.pause();
    const pid = gateway.child.pid!;
    const before = rssBytes(pid);
    let peak = before;
    // 2,000 frames of ~64 KiB: about 128 MiB, far more than the slow socket may buffer.
    const publisher = bus.publisher();
    const channel = organizationChannel(prefix, 'acme');
    const count = 2000;
    const text = 'x'.repeat(64 * 1024);
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
    try {
      for (let i = 0; i < count; i += 1) {
        await publisher.publish(
          channel,
          encodeEnvelope('new_message', {
            created_at: '2026-11-25T10:00:00.000000+00:00',
            updated_at: '2026-11-25T10:00:00.000000+00:00',
            uuid: '00000000-0000-4000-8000-000000000000',
            message: `${i} ${text}`,
            file: null,
            type: 'sent',
            status: 'sent',
            help_desk: '00000000-0000-4000-8000-000000000001',
          }),
        );
      }
      await fast.waitForFrames(count, 60_000);
    } finally {
      // Also when the wait fails: the gateway may exit before the sampler would read its /proc again.
      clearInterval(sampler);
    }
    await publisher.close();

    slow.ws.resume();
    await expect.poll(() => slow.closeCode, { timeout: 10_000 }).toBe(4008);
    expect(slow.frames.length).toBeLessThan(count);
    const sentBytes = count * text.length;
    // Buffering the slow socket's share would take the whole 128 MiB (checked: with a 1 GiB limit RSS
    // grew 160 MiB); a bounded buffer takes a few of its limits. Half of what was sent
    // leaves room for V8's garbage in flight (~35 MiB here).
    expect(peak - before).toBeLessThan(sentBytes / 2);
    fast.close();
  }, 90_000);
});
