import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  organizationChannel,
  RedisBus,
  CLOSE_CODES,
  chatSocketPath,
  LAST_EVENT_ID_PARAM,
  type EventBus,
} from '@helpdesk/shared';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisPrefix, testEnv } from '../../../test/test-env.js';
import {
  HeldHistory,
  HeldSubscriptions,
  sampleEnvelope,
  SequencedEvents,
  startTestGateway,
  TEST_SECRET_KEY,
  TestClient,
  ticketFor,
  waitFor,
  withHistory,
  type TestGateway,
} from './helpers.js';

// An organization's first socket on a gateway opens at once, inside uWS's upgrade handler, before
// the bus confirmed the organization's subscription (issue 13, item 14); its topic then catches up
// with whatever the bus missed meanwhile. Native uWS and a real Redis; the SUBSCRIBE is held by
// the test, so events are published for certain while the socket is open and not yet subscribed.

const started: { buses: RedisBus[]; gateways: TestGateway[] } = { buses: [], gateways: [] };
let observer: Redis;

beforeAll(() => {
  observer = new Redis(testEnv().redisUrl);
});

afterEach(async () => {
  await Promise.all(started.gateways.splice(0).map((g) => g.gateway.close()));
  await Promise.all(started.buses.splice(0).map((bus) => bus.close()));
});

afterAll(() => {
  observer.disconnect();
});

function redisBus(): RedisBus {
  const bus = new RedisBus({ url: testEnv().redisUrl, connectionName: 'helpdesk-gateway-first-socket-test' });
  started.buses.push(bus);
  return bus;
}

/** A gateway whose organizations' SUBSCRIBEs wait for the test, and a relay publishing to its Redis. */
async function setup(wrap: (bus: HeldSubscriptions) => EventBus = (bus) => bus) {
  const held = new HeldSubscriptions(redisBus());
  const served = await startTestGateway(wrap(held));
  started.gateways.push(served);
  const relay = redisBus().publisher();
  const org = 'first-socket';
  const channel = organizationChannel(served.config.redisPrefix, org);
  const events = new SequencedEvents(channel);
  /** Events `from`..`to` as the api's relay publishes them: history and live, in order. */
  const publish = (from: number, to: number) => events.publish(relay, from, to);
  const stats = () => served.gateway.stats() as Record<string, unknown> & { subscribedChannels: number };
  /** Publishes an id-less marker and returns the texts the client got before it. */
  const framesBeforeMarker = async (client: TestClient): Promise<string[]> => {
    const marker = sampleEnvelope('marker');
    await relay.publish(channel, marker);
    await waitFor(() => client.frames.some((frame) => frame.data.toString() === marker), 'the marker');
    const texts = client.frames.map((frame) => frame.data.toString());
    return texts.slice(0, texts.indexOf(marker));
  };
  return {
    held,
    served,
    org,
    channel,
    publish,
    payloads: (from: number, to: number) => events.payloadsOf(from, to),
    stats,
    framesBeforeMarker,
  };
}

describe("an organization's first socket", () => {
  it('gets each event published while its subscription is made exactly once, in order', async () => {
    const { held, served, org, publish, payloads, stats, framesBeforeMarker } = await setup();
    // Before the socket: not its business.
    await publish(1, 3);
    const client = await TestClient.connect(served.chat(org));
    expect(held.pending).toBe(1);
    // Open, and no SUBSCRIBE has gone out yet: these reach the gateway only through the history.
    await publish(4, 8);
    held.release();
    // Racing the SUBSCRIBE and the catch-up.
    await publish(9, 12);
    await waitFor(() => stats().subscribedChannels === 1, 'the subscription');
    await publish(13, 15);

    expect(await framesBeforeMarker(client)).toEqual(payloads(4, 15));
    expect(stats()).toMatchObject({
      catchUps: { started: 1, reads: 1, resyncs: { notKept: 0, tooMany: 0, unavailable: 0, bufferFull: 0 } },
    });
    await client.close();
  });

  it('drops the live copies of events its catch-up read from the history', async () => {
    let history: HeldHistory | undefined;
    const { held, served, org, publish, payloads, stats, framesBeforeMarker } = await setup((bus) => {
      history = new HeldHistory(bus.history(), { readFirst: false, afterId: 3 });
      return withHistory(bus, history);
    });
    await publish(1, 3);
    const client = await TestClient.connect(served.chat(org));
    await publish(4, 6);
    held.release();
    // The catch-up read waits: 7–9 come live meanwhile (held back), and are in what it returns.
    await waitFor(() => history!.reads.length === 1, 'the history read');
    expect(history!.reads[0]).toMatchObject({ afterId: 3 });
    await publish(7, 9);
    history!.release();
    await waitFor(() => client.frames.length === 6, 'the catch-up');
    await publish(10, 10);

    expect(await framesBeforeMarker(client)).toEqual(payloads(4, 10));
    expect(stats()).toMatchObject({ duplicatesDropped: 3, catchUps: { reads: 1, events: 6 } });
    await client.close();
  });

  it('is closed with 1013 when the SUBSCRIBE fails, giving its slot and the subscription back', async () => {
    const { held, served, org, stats } = await setup();
    const client = await TestClient.connect(served.chat(org));
    held.fail();
    expect(await client.closed).toEqual({ code: CLOSE_CODES.eventsUnavailable, reason: 'Events unavailable' });
    expect(stats()).toMatchObject({ eventsUnavailableCloses: 1, open: 0, slots: 0, subscribedChannels: 0 });
  });

  it('is closed with 1012 when the gateway drains before its SUBSCRIBE is answered, and nothing stays subscribed', async () => {
    const { held, served, org, channel } = await setup();
    const client = await TestClient.connect(served.chat(org));
    const closing = served.gateway.close();
    expect(await client.closed).toEqual({ code: CLOSE_CODES.serviceRestart, reason: 'Service restart' });
    held.release();
    await closing;
    expect(await observer.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
  });
});

describe('a gateway process', () => {
  it("opens organizations' first sockets without uWS's uncorked-write warning on stderr", async () => {
    const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
      cwd: gatewayDir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        REDIS_URL: testEnv().redisUrl,
        REDIS_PREFIX: redisPrefix(),
        SECRET_KEY: TEST_SECRET_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'close') as Promise<[number | null]>;
    const port = await listeningPort(child);
    // Read on (and drop) what it logs from here, so its stdout reaches its end.
    child.stdout.resume();
    const url = (organization: string, lastEventId?: number) =>
      `ws://127.0.0.1:${port}${chatSocketPath(organization)}?token=${ticketFor(organization)}` +
      (lastEventId === undefined ? '' : `&${LAST_EVENT_ID_PARAM}=${lastEventId}`);
    // Three organizations' first sockets (one of them reconnecting with an id), and a second one.
    const clients = await Promise.all([
      TestClient.connect(url('warn-a')),
      TestClient.connect(url('warn-b')),
      TestClient.connect(url('warn-c', 0)),
    ]);
    clients.push(await TestClient.connect(url('warn-a')));
    // Everything the process wrote to stderr has arrived once it has exited.
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).not.toContain('must be made from within a corked callback');
  });
});

/** Waits for main.ts's `listening` line and returns the port it names. */
async function listeningPort(child: ChildProcess): Promise<number> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'listening' && entry.port !== undefined) return entry.port;
  }
  throw new Error('the gateway exited without listening');
}
