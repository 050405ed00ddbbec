import { describe, expect, it } from 'vitest';
import { SocketRegistry } from './socket-registry.js';

describe('SocketRegistry', () => {
  it('counts reserved slots against the total and per-organization limits', () => {
    const registry = new SocketRegistry<string>({ maxSockets: 3, maxSocketsPerOrganization: 2 });
    expect(registry.reserve('acme')).toBeUndefined();
    expect(registry.reserve('acme')).toBeUndefined();
    expect(registry.reserve('acme')).toBe('organization-full');
    expect(registry.reserve('globex')).toBeUndefined();
    expect(registry.reserve('initech')).toBe('gateway-full');

    registry.add('t:acme', 'socket-1');
    registry.remove('acme', 't:acme', 'socket-1');
    registry.remove('acme', 't:acme', 'socket-1'); // a second close of the same socket frees nothing
    expect(registry.counts()).toEqual({ open: 0, slots: 2, organizations: 2 });
    expect(registry.reserve('initech')).toBeUndefined();
  });

  it('lists open sockets by topic and in all', () => {
    const registry = new SocketRegistry<string>({ maxSockets: 10, maxSocketsPerOrganization: 10 });
    for (const [organization, socket] of [
      ['acme', 'a1'],
      ['acme', 'a2'],
      ['globex', 'b1'],
    ] as const) {
      registry.reserve(organization);
      registry.add(`t:${organization}`, socket);
    }
    expect([...(registry.socketsIn('t:acme') ?? [])]).toEqual(['a1', 'a2']);
    expect(registry.allSockets().sort()).toEqual(['a1', 'a2', 'b1']);
    registry.remove('globex', 't:globex', 'b1');
    expect(registry.socketsIn('t:globex')).toBeUndefined();
  });
});
