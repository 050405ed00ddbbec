import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDotEnv, withEmbeddedSecrets } from './embedded-secrets.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hd-secrets-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded secrets in DATA_DIR/.env', () => {
  it('are generated on the first start, owner-only, and reused after', async () => {
    const first = await withEmbeddedSecrets({ DATA_DIR: dataDir });
    expect(first.generated).toEqual(['SECRET_KEY', 'ADMIN_TOKEN']);
    expect(first.env.SECRET_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.env.ADMIN_TOKEN).not.toBe(first.env.SECRET_KEY);
    expect((await stat(join(dataDir, '.env'))).mode & 0o777).toBe(0o600);

    const second = await withEmbeddedSecrets({ DATA_DIR: dataDir });
    expect(second.generated).toEqual([]);
    expect(second.env.SECRET_KEY).toBe(first.env.SECRET_KEY);
    expect(second.env.ADMIN_TOKEN).toBe(first.env.ADMIN_TOKEN);
  });

  it('never override what the environment sets', async () => {
    const result = await withEmbeddedSecrets({
      DATA_DIR: dataDir,
      ADMIN_TOKEN: 'from-env',
      SECRET_KEY: 's'.repeat(40),
    });
    expect(result.generated).toEqual([]);
    expect(result.env.ADMIN_TOKEN).toBe('from-env');
    await expect(readFile(join(dataDir, '.env'))).rejects.toThrow();
  });

  it('parse comments, quotes and blank lines', () => {
    expect(parseDotEnv('# c\n\nA=1\n B = "two words" \nC=\'x\'\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x',
    });
  });
});
