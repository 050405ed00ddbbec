import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertNativeUws, isNativeUws, type UwsModule } from './uws-native.js';

// uWebSockets.js (the @trufflesuite fork) prints "Falling back to a NodeJS implementation;
// performance may be degraded." and quietly returns a pure-JS imitation when its native addon
// does not load for this Node.js. These tests fail in that case, so it cannot go unnoticed.

const gatewayDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(gatewayDir, 'package.json'));

describe('native uWebSockets.js', () => {
  it('is the native addon here, not the "Falling back to a NodeJS implementation" JS fallback', () => {
    expect(isNativeUws()).toBe(true);
    expect(() => assertNativeUws()).not.toThrow();
  });

  it('loads without printing "Falling back" in a fresh Node.js process', () => {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        "const uWS = require('uWebSockets.js'); process.stdout.write(String(uWS.App).includes('[native code]') ? 'native' : 'js');",
      ],
      { cwd: gatewayDir, encoding: 'utf8' },
    );
    expect(child.stderr).not.toContain('Falling back');
    expect(child.stdout).not.toContain('fallback implementation');
    expect(child.stdout).toBe('native');
  });

  it('recognises the JS fallback module for what it is', () => {
    const packageDir = dirname(dirname(require.resolve('uWebSockets.js')));
    const fallback = require(join(packageDir, 'dist', 'index.js')) as Partial<UwsModule>;
    expect(isNativeUws(fallback)).toBe(false);
    expect(() => assertNativeUws(fallback)).toThrow(/JavaScript fallback/);
  });
});
