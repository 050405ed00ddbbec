import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SocketCloser, type ClosableSocket } from './socket-closer.js';

class FakeSocket implements ClosableSocket {
  buffered = 0;
  ended: { code: number; reason: string } | undefined;
  cut = false;
  quiet = false;

  getBufferedAmount(): number {
    return this.buffered;
  }
  end(code: number, reason: string): void {
    this.ended = { code, reason };
  }
  close(): void {
    this.cut = true;
  }
}

function setup() {
  const cuts: number[] = [];
  const closer = new SocketCloser<FakeSocket>({
    timeoutMs: 1000,
    quiet: (socket) => (socket.quiet = true),
    onCut: (_socket, buffered) => cuts.push(buffered),
  });
  return { closer, cuts };
}

describe('SocketCloser', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ends a socket with nothing buffered at once', () => {
    const { closer } = setup();
    const socket = new FakeSocket();
    closer.close(socket, 4001, 'API key revoked');
    expect(socket).toMatchObject({ ended: { code: 4001, reason: 'API key revoked' }, quiet: false, cut: false });
    expect(closer.size).toBe(0);
  });

  it('quiets a socket with bytes buffered and ends it at the drain that empties its buffer', () => {
    const { closer } = setup();
    const socket = new FakeSocket();
    socket.buffered = 5000;
    closer.close(socket, 4008, 'Slow consumer');
    expect(socket).toMatchObject({ ended: undefined, quiet: true });
    // Asked again (the guard still sees it over the limit): nothing changes.
    closer.close(socket, 4008, 'Slow consumer');
    socket.buffered = 10;
    expect(closer.drained(socket)).toBe(true);
    expect(socket.ended).toBeUndefined();
    socket.buffered = 0;
    expect(closer.drained(socket)).toBe(true);
    expect(socket.ended).toEqual({ code: 4008, reason: 'Slow consumer' });
    vi.advanceTimersByTime(5000);
    expect(socket.cut).toBe(false);
    expect(closer.drained(socket)).toBe(false);
  });

  it('cuts the connection of a socket whose buffer did not empty in time', () => {
    const { closer, cuts } = setup();
    const socket = new FakeSocket();
    socket.buffered = 5000;
    closer.close(socket, 4008, 'Slow consumer');
    vi.advanceTimersByTime(999);
    expect(socket.cut).toBe(false);
    vi.advanceTimersByTime(1);
    expect(socket).toMatchObject({ cut: true, ended: undefined });
    expect(cuts).toEqual([5000]);
    expect(closer.isClosing(socket)).toBe(false);
  });

  it('forgets a socket closed otherwise meanwhile, and every timer when stopped', () => {
    const { closer, cuts } = setup();
    const [drained, stopped] = [new FakeSocket(), new FakeSocket()];
    drained.buffered = stopped.buffered = 100;
    closer.close(drained, 4008, 'Slow consumer');
    closer.close(stopped, 4008, 'Slow consumer');
    closer.closed(drained);
    closer.stop();
    vi.advanceTimersByTime(5000);
    expect([drained.cut, stopped.cut, cuts]).toEqual([false, false, []]);
  });
});
