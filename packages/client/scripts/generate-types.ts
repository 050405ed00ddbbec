// Regenerates src/generated/api.ts from the OpenAPI document the api serves.
//   pnpm --filter @helpdesk/client generate                 starts the built embedded server on a temp folder
//   pnpm --filter @helpdesk/client generate http://host:8000  reads a running api's document
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fetchServedDocument, GENERATED_TYPES_PATH, renderTypes } from './openapi-types.js';

const STANDALONE = fileURLToPath(new URL('../../../services/standalone/dist/main.js', import.meta.url));

async function withEmbeddedServer<T>(use: (baseUrl: string) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hd-generate-'));
  const child = spawn(process.execPath, [STANDALONE], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /is up on http:\/\/[^:]+:(\d+)/.exec(line);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) =>
        reject(new Error(`the embedded server exited with ${code} (run pnpm run build first)`)),
      );
    });
    return await use(`http://127.0.0.1:${port}`);
  } finally {
    child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

const url = process.argv[2];
const document = url ? await fetchServedDocument(url) : await withEmbeddedServer(fetchServedDocument);
await writeFile(GENERATED_TYPES_PATH, await renderTypes(document));
console.log(`wrote ${fileURLToPath(GENERATED_TYPES_PATH)}`);
