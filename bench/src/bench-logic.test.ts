import { describe, expect, it } from 'vitest';
import { encodeEnvelope, type EventType, type MessageJson } from '@helpdesk/shared';
import { Bitmap, SocketDelivery } from './delivery.js';
import { Histogram, bucketIndex, bucketRange } from './histogram.js';
import { NEW_MESSAGE, markerText, readFrame } from './payload.js';
import { socketsPerSourceAddress } from './machine.js';
import { parseArgs, planRuns, socketsPerOrganization } from './plan.js';

describe('Histogram', () => {
  it('gives exact percentiles for small values and nearest-rank semantics', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.summary()).toMatchObject({ count: 100, min: 1, max: 100, mean: 50.5 });
  });

  it('stays within 1% for large values and maps every value into its own bucket range', () => {
    for (const v of [256, 257, 1000, 12_345, 987_654, 60_000_000]) {
      const { low, width } = bucketRange(bucketIndex(v));
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThan(low + width);
      expect(width / low).toBeLessThan(0.01);
    }
    const h = new Histogram();
    for (let i = 0; i < 1000; i++) h.record(10_000 + i * 10);
    expect(Math.abs(h.percentile(50) - 15_000) / 15_000).toBeLessThan(0.01);
  });

  it('merges histograms from several workers', () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(10);
    a.record(20);
    b.record(5000);
    a.merge(b.toData());
    expect(a.count).toBe(3);
    expect(a.min).toBe(10);
    expect(a.max).toBe(5000);
    expect(a.percentile(100)).toBe(5000);
    expect(a.cdf().at(-1)?.[1]).toBe(1);
  });

  it('is NaN when empty', () => {
    expect(new Histogram().percentile(99)).toBeNaN();
  });
});

describe('delivery accounting', () => {
  it('counts missing, duplicate and unexpected events per socket', () => {
    const published = Bitmap.firstN(10);
    const socket = new SocketDelivery(3);
    for (const seq of [0, 1, 2, 3, 5, 6, 7, 8, 9, 9, 12]) socket.receive(NEW_MESSAGE, seq);
    const expected = [new Bitmap(), new Bitmap(), new Bitmap()];
    expected[NEW_MESSAGE] = published;
    expect(socket.settle(expected)).toEqual({ delivered: 9, missing: 1, duplicates: 1, unexpected: 1 });
  });

  it('accepts events out of order', () => {
    const socket = new SocketDelivery(1);
    for (const seq of [4, 2, 0, 3, 1]) expect(socket.receive(0, seq)).toBe(true);
    expect(socket.settle([Bitmap.firstN(5)])).toEqual({ delivered: 5, missing: 0, duplicates: 0, unexpected: 0 });
  });

  it('grows bitmaps and counts bits', () => {
    const b = new Bitmap();
    b.set(5000);
    b.set(3);
    expect(b.has(5000)).toBe(true);
    expect(b.has(4999)).toBe(false);
    expect(b.count()).toBe(2);
    expect(Bitmap.firstN(1000).countNotIn(b)).toBe(999);
  });
});

describe('frame markers', () => {
  const message = (text: string): MessageJson => ({
    created_at: '2026-11-25T08:00:00.000000+00:00',
    updated_at: '2026-11-25T08:00:00.000000+00:00',
    uuid: '6f2c0000-0000-4000-8000-000000000000',
    message: text,
    file: null,
    type: 'sent',
    status: 'sent',
    help_desk: '9b1e0000-0000-4000-8000-000000000000',
  });

  it('reads sequence, timestamp, phase and type back out of every event type', () => {
    const text = markerText(42, 123_456_789, 1, 200);
    expect(text).toHaveLength(200);
    const cases: Array<[EventType, string]> = [
      ['new_message', encodeEnvelope('new_message', message(text))],
      ['update_message', encodeEnvelope('update_message', message(text))],
      [
        'update_helpdesk',
        encodeEnvelope('update_helpdesk', {
          created_at: 'a',
          updated_at: 'b',
          uuid: 'c',
          client: { uuid: 'd', created_at: 'e', updated_at: 'f', name: 'g', phone: 'h' },
          last_message: message(text),
        }),
      ],
    ];
    for (const [type, frame] of cases) {
      const mark = readFrame(Buffer.from(frame));
      expect(mark).toMatchObject({ seq: 42, sentAtMicros: 123_456_789, phase: 1 });
      expect(['update_helpdesk', 'new_message', 'update_message'][mark!.type]).toBe(type);
    }
  });

  it('ignores frames without a marker', () => {
    expect(readFrame(Buffer.from(encodeEnvelope('new_message', message('hello'))))).toBeUndefined();
    expect(readFrame(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('plan', () => {
  it('spreads sockets over organizations, exactly and with at least one each', () => {
    expect(socketsPerOrganization(100, 10, 'even')).toEqual(Array(10).fill(10));
    const mixed = socketsPerOrganization(1000, 50, 'mixed');
    expect(mixed.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.min(...mixed)).toBeGreaterThanOrEqual(1);
    expect(mixed[0]!).toBeGreaterThan(mixed[49]! * 10);
    expect(socketsPerOrganization(3, 5, 'even').reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('expands presets, lists and overrides into runs, ceiling before gateway', () => {
    const runs = planRuns(parseArgs(['fanout', '--sockets', '100,200', '--rate', '7', '--duration=3']));
    expect(runs.map((r) => [r.target, r.sockets, r.rate, r.durationSeconds])).toEqual([
      ['ceiling', 100, 7, 3],
      ['gateway', 100, 7, 3],
      ['ceiling', 200, 7, 3],
      ['gateway', 200, 7, 3],
    ]);
    // e2e-max: JSON then multipart, each against the api ceiling first, pairs alternating with --repeat.
    expect(
      planRuns(parseArgs(['e2e-max', '--quick', '--repeat', '2'])).map((r) => [r.body, r.target, r.repetition, r.rate]),
    ).toEqual([
      ['json', 'ceiling', 0, 0],
      ['json', 'gateway', 0, 0],
      ['json', 'ceiling', 1, 0],
      ['json', 'gateway', 1, 0],
      ['multipart', 'ceiling', 0, 0],
      ['multipart', 'gateway', 0, 0],
      ['multipart', 'ceiling', 1, 0],
      ['multipart', 'gateway', 1, 0],
    ]);
    expect(planRuns(parseArgs(['e2e', '--body', 'multipart', '--file-bytes', '10'])).map((r) => r.body)).toEqual([
      'multipart',
      'multipart',
    ]);
    expect(planRuns(parseArgs(['e2e', '--body', 'multipart', '--file-bytes', '10']))[0]!.fileBytes).toBe(10);
    expect(() => parseArgs(['--body', 'xml'])).toThrow(/--body/);
    // deployment: never without a named target; socket URLs follow the REST ones unless given.
    expect(() => parseArgs(['deployment'])).toThrow(/explicit --url/);
    expect(() => parseArgs(['e2e', '--url', 'http://example.test'])).toThrow(/deployment scenario/);
    expect(() => parseArgs(['deployment', '--url', 'ftp://example.test'])).toThrow(/http: or https:/);
    expect(parseArgs(['deployment', '--url', 'https://chat.example.test/x,http://10.0.0.2:8000']).deployment).toEqual({
      urls: ['https://chat.example.test', 'http://10.0.0.2:8000'],
      wsUrls: ['wss://chat.example.test', 'ws://10.0.0.2:8000'],
      key: undefined,
      orgPrefix: 'loadtest',
      sourceAddresses: [],
    });
    expect(planRuns(parseArgs(['deployment', '--url', 'http://a.test', '--sockets', '3000']))).toMatchObject([
      { kind: 'e2e', target: 'deployment', sockets: 3000, rate: 100 },
    ]);
    expect(socketsPerSourceAddress('32768-60999')).toBe(28_232);
    expect(socketsPerSourceAddress('')).toBeUndefined();
    // reads: the api ceiling then the api, no sockets, one page of help desks and of messages.
    expect(
      planRuns(parseArgs(['reads', '--repeat', '2', '--sockets', '500'])).map((r) => [
        r.kind,
        r.target,
        r.sockets,
        r.helpDesks,
        r.pageSize,
      ]),
    ).toEqual([
      ['reads', 'ceiling', 0, 50, 50],
      ['reads', 'gateway', 0, 50, 50],
      ['reads', 'ceiling', 0, 50, 50],
      ['reads', 'gateway', 0, 50, 50],
    ]);
    expect(() => parseArgs(['--sockets'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--target', 'nginx'])).toThrow(/--target/);
  });
});
