import uWS from 'uWebSockets.js';

// The installed uWebSockets.js (npm alias of @trufflesuite/uws-js-unofficial) picks its native
// addon in src/uws.js from binaries/uws_<platform>_<arch>_<node ABI>.node. When that require
// throws, it prints "Falling back to a NodeJS implementation; performance may be degraded." and
// returns dist/index.js instead: a pure-JS imitation built on `ws`, without native pub/sub
// fan-out, corking or real backpressure accounting. UWS_USE_FALLBACK=1 forces the same. The gateway's design depends on the native behaviour, so it refuses
// to run on the imitation rather than degrade unnoticed.

export type UwsModule = typeof uWS;

/**
 * True when the module is the native addon. The fallback's `App` is an ordinary JS function and
 * it lacks the addon-only exports (`getParts`, the compressor constants), so either tells.
 */
export function isNativeUws(module: Partial<UwsModule> = uWS): boolean {
  const app = module.App;
  if (typeof app !== 'function') return false;
  const nativeApp = Function.prototype.toString.call(app).includes('[native code]');
  return nativeApp && typeof module.getParts === 'function' && typeof module.DISABLED === 'number';
}

/** Throws when uWebSockets.js loaded its JS fallback instead of the native addon. */
export function assertNativeUws(module: Partial<UwsModule> = uWS): void {
  if (isNativeUws(module)) return;
  throw new Error(
    'uWebSockets.js is running its JavaScript fallback, not the native addon ' +
      `(wanted binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node; ` +
      'see the "Falling back to a NodeJS implementation" warning above, or UWS_USE_FALLBACK). ' +
      'The gateway refuses to run without native uWS: use a Node.js version the package ships a binary for.',
  );
}

export { uWS };

// What the loaded binary (v20.30) has beyond the shipped typings, checked against it: listen with
// a host *and* options (LIBUS_LISTEN_EXCLUSIVE_PORT, so a second gateway on a taken port fails
// instead of sharing it through SO_REUSEPORT), and app.close(), which closes every socket left.
declare module 'uWebSockets.js' {
  interface TemplatedApp {
    listen(
      host: RecognizedString,
      port: number,
      options: number,
      cb: (listenSocket: us_listen_socket | false) => void | Promise<void>,
    ): TemplatedApp;
    close(): TemplatedApp;
  }
  export const LIBUS_LISTEN_EXCLUSIVE_PORT: number;
}

/**
 * Header lines (after the request line) this uWS build reads in a request head; it closes the
 * connection, unanswered, on a head with more (UWS_HTTP_MAX_HEADERS_COUNT).
 */
export const UWS_MAX_HEADER_LINES = 48;
