import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

// Issue 10: the whole console ships at most 80 KB of gzipped JavaScript.
const BUDGET_BYTES = 80 * 1024;
const DIST = join(import.meta.dirname, '..', 'dist');

describe('the console build', () => {
  it(`ships at most ${BUDGET_BYTES / 1024} KB of gzipped JavaScript, and no inline script`, () => {
    expect(existsSync(join(DIST, 'index.html')), 'packages/console/dist: run pnpm build first').toBe(true);
    const scripts = readdirSync(join(DIST, 'assets')).filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(join(DIST, 'assets', name))).length, 0);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);

    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) {
      expect(tag, 'every script is a file (the CSP allows no inline script)').toMatch(
        /<script\b[^>]*\bsrc="[^"]+"[^>]*><\/script>/,
      );
    }
  });
});
