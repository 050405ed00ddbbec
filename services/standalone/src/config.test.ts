import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEmbeddedConfig } from './config.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hd-embedded-config-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the embedded configuration', () => {
  it("puts the api on PORT/HOST and the gateway on loopback, trusting the api's proxies and the api", async () => {
    const config = await loadEmbeddedConfig({
      DATA_DIR: dataDir,
      PORT: '9000',
      HOST: '0.0.0.0',
      TRUST_PROXY: '2',
      WS_TRUST_PROXY: '7',
    });
    expect([config.port, config.host, config.api.port, config.api.host, config.api.trustProxy]).toEqual([
      9000,
      '0.0.0.0',
      9000,
      '0.0.0.0',
      2,
    ]);
    expect([config.gateway.port, config.gateway.host, config.gateway.trustedProxies]).toEqual([0, '127.0.0.1', 3]);
  });
});
