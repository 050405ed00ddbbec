// What the subscription takes from its platform, all injectable so tests (and unusual runtimes)
// can hand in their own: a WebSocket class, timers, randomness, and network events.

/** The parts of the WHATWG WebSocket a subscription uses (browsers, Node 22+, `ws`, undici). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketClass = new (url: string, protocols: string[]) => WebSocketLike;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where `online`/`offline` events come from (a browser's window) and whether it is online now. */
export interface NetworkStatus {
  isOnline(): boolean;
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** The global WebSocket (browsers, Node 22+), or undefined (Node 20 without a flag: inject `ws`). */
export function globalWebSocket(): WebSocketClass | undefined {
  return (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
}

/** A browser's online/offline events; none elsewhere (Node has no such notion). */
export function browserNetworkStatus(): NetworkStatus | undefined {
  const scope = globalThis as {
    addEventListener?: NetworkStatus['addEventListener'];
    removeEventListener?: NetworkStatus['removeEventListener'];
    navigator?: { onLine?: boolean };
  };
  if (typeof scope.addEventListener !== 'function' || typeof scope.navigator?.onLine !== 'boolean') return undefined;
  return {
    isOnline: () => scope.navigator?.onLine !== false,
    addEventListener: (type, listener) => scope.addEventListener?.(type, listener),
    removeEventListener: (type, listener) => scope.removeEventListener?.(type, listener),
  };
}
