import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../process-harness.js';

const run = promisify(execFile);
const PACKAGE = join(REPO_ROOT, 'packages/client');

// The built package as an app outside this workspace gets it: its dist/ and package.json, with
// openapi-fetch its only dependency, and nothing of packages/shared.
describe('@helpdesk/client as published (dist/)', () => {
  let app: string;

  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'hd-client-app-'));
    const installed = join(app, 'node_modules/@helpdesk/client');
    await mkdir(installed, { recursive: true });
    await cp(join(PACKAGE, 'dist'), join(installed, 'dist'), { recursive: true });
    await cp(join(PACKAGE, 'package.json'), join(installed, 'package.json'));
    await symlink(await realpath(join(PACKAGE, 'node_modules/openapi-fetch')), join(app, 'node_modules/openapi-fetch'));
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
  });

  afterAll(async () => {
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('imports in plain Node and pages a list through an injected fetch', async () => {
    await writeFile(
      join(app, 'main.js'),
      `import { createClient, ApiError, EVENT_TYPES, CLOSE_CODES } from '@helpdesk/client';
const seen = [];
const client = createClient({
  baseUrl: 'http://api.test',
  apiKey: 'hdk_k',
  fetch: async (request) => {
    seen.push([request.url, request.headers.get('authorization')]);
    const next = request.url.includes('before=') ? {} : { link: '<http://api.test/api/help-desks/?organization=acme&limit=1&before=c1>; rel="next"' };
    return new Response(JSON.stringify([{ uuid: request.url.includes('before=') ? 'b' : 'a' }]), { headers: next });
  },
});
const pages = [];
for await (const page of client.helpDesks('acme', { limit: 1 })) pages.push(page);
console.log(JSON.stringify({ pages, seen, EVENT_TYPES, revoked: CLOSE_CODES.keyRevoked, error: new ApiError(404, { detail: 'Not found.' }).message }));
`,
    );
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({
      pages: [[{ uuid: 'a' }], [{ uuid: 'b' }]],
      seen: [
        ['http://api.test/api/help-desks/?organization=acme&limit=1', 'Bearer hdk_k'],
        ['http://api.test/api/help-desks/?organization=acme&limit=1&before=c1', 'Bearer hdk_k'],
      ],
      EVENT_TYPES: ['update_helpdesk', 'new_message', 'update_message'],
      revoked: 4001,
      error: '404 {"detail":"Not found."}',
    });
  });

  it('needs nothing of the workspace: no @helpdesk/shared in its code or its declarations', async () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts']) {
      expect(await readFile(join(PACKAGE, file), 'utf8')).not.toContain('@helpdesk/shared');
    }
  });

  it('type-checks an app that switches on event names and reads typed payloads', { timeout: 90_000 }, async () => {
    await writeFile(
      join(app, 'app.ts'),
      `import { createClient, type LiveEvent } from '@helpdesk/client';
const client = createClient({ baseUrl: 'http://api.test', apiKey: 'k' });
const subscription = client.subscribe('acme', { lastEventId: 3 });
subscription.on('new_message', (event) => {
  const text: string = event.data.message;
  const id: number | undefined = event.id;
  return [text, id];
});
subscription.on('update_helpdesk', (event: LiveEvent<'update_helpdesk'>) => event.data.last_message?.uuid);
subscription.on('state', (state) => (state.type === 'closed' ? state.reason : state.type));
async function list(): Promise<string[]> {
  const names: string[] = [];
  for await (const page of client.helpDesks('acme', { status: 'open', limit: 50 })) {
    for (const desk of page) names.push(desk.client.name);
  }
  const { data } = await client.api.GET('/api/help-desks/{uuid}/history/', { params: { path: { uuid: 'u' } } });
  return [...names, ...(data ?? []).map((m) => m.message)];
}
void list();
`,
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(result.stdout).toBe('');
  });
});
