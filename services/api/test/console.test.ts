import { gunzipSync, brotliDecompressSync, gzipSync, brotliCompressSync } from 'node:zlib';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from '../src/index.js';
import { CONSOLE_CSP } from '../src/routes/console.route.js';
import { useApi } from './api-harness.js';

const INDEX =
  '<!doctype html><title>console</title><script type="module" src="/console/assets/index-AbCd1234.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A console build as Vite writes it: index.html, a hashed script and its .gz and .br. */
async function fakeBuild(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hd-console-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), INDEX);
  await writeFile(join(dir, 'assets/index-AbCd1234.js'), SCRIPT);
  await writeFile(join(dir, 'assets/index-AbCd1234.js.gz'), gzipSync(SCRIPT));
  await writeFile(join(dir, 'assets/index-AbCd1234.js.br'), brotliCompressSync(SCRIPT));
  return dir;
}

describe('the console at /console/', async () => {
  const api = useApi({ CONSOLE_DIR: await fakeBuild() });
  const anonymous = { authorization: undefined };

  it('GET / redirects to /console/', async () => {
    const res = await api.app.inject({ url: '/', headers: anonymous });
    expect({ status: res.statusCode, location: res.headers.location }).toEqual({ status: 302, location: '/console/' });
  });

  it('serves index.html without a key, revalidated on every load, under a CSP without inline scripts', async () => {
    for (const url of ['/console/', '/console', '/console/index.html']) {
      const res = await api.app.inject({ url, headers: anonymous });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(CONSOLE_CSP).toContain("script-src 'self';");
      expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    }
  });

  it('sends the pre-compressed brotli or gzip file the browser accepts, cached for a year', async () => {
    const url = '/console/assets/index-AbCd1234.js';
    const br = await api.app.inject({ url, headers: { ...anonymous, 'accept-encoding': 'gzip, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/i);

    const gz = await api.app.inject({ url, headers: { ...anonymous, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);

    const plain = await api.app.inject({ url, headers: { ...anonymous, 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('answers any other page under /console/ with index.html, a missing asset with a JSON 404', async () => {
    const page = await api.app.inject({ url: '/console/help-desks/some-uuid?x=1', headers: anonymous });
    expect({ status: page.statusCode, body: page.body, cache: page.headers['cache-control'] }).toEqual({
      status: 200,
      body: INDEX,
      cache: 'no-cache',
    });
    const asset = await api.app.inject({ url: '/console/assets/index-Gone9999.js', headers: anonymous });
    expect({ status: asset.statusCode, body: asset.json<unknown>() }).toEqual({
      status: 404,
      body: { detail: 'Not found.' },
    });
  });

  it('tells the console the server’s size limits, so a file over them is refused before its upload', async () => {
    const res = await api.app.inject({ url: '/console/limits.json', headers: anonymous });
    expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({
      status: 200,
      body: { max_file_bytes: 25 * 1024 * 1024, max_message_chars: 10_000 },
    });
  });

  it('leaves /api/… not-founds in the api’s JSON shape, and the api’s CSP outside /console/', async () => {
    const res = await api.app.inject({ url: '/api/nothing-here/' });
    expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({
      status: 404,
      body: { detail: 'Not found.' },
    });
    expect(res.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
    const elsewhere = await api.app.inject({ url: '/elsewhere', headers: anonymous });
    expect({ status: elsewhere.statusCode, body: elsewhere.json<unknown>() }).toEqual({
      status: 404,
      body: { detail: 'Not found.' },
    });
  });
});

describe('the console when it is not built', () => {
  const api = useApi({ CONSOLE_DIR: join(tmpdir(), 'hd-console-never-built') });

  it('answers /console/ with a JSON 404 that says how to build it; GET / still points there', async () => {
    const res = await api.app.inject({ url: '/console/', headers: { authorization: undefined } });
    expect({ status: res.statusCode, body: res.json<unknown>() }).toEqual({
      status: 404,
      body: { detail: 'The console is not built: run pnpm build.' },
    });
    const root = await api.app.inject({ url: '/', headers: { authorization: undefined } });
    expect(root.statusCode).toBe(302);
  });
});

describe('CONSOLE_DIR', () => {
  it('defaults to the build of the @helpdesk/console package', () => {
    const config = loadApiConfig({ SECRET_KEY: 'k'.repeat(64) });
    expect(config.consoleDir).toMatch(/packages\/console\/dist$/);
  });
});
