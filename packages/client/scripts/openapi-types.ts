import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import * as prettier from 'prettier';

export const GENERATED_TYPES_PATH = new URL('../src/generated/api.ts', import.meta.url);

const HEADER =
  "// Generated from the api's OpenAPI document (GET /api/schema/) by `pnpm --filter @helpdesk/client generate`.\n" +
  '// Do not edit: change the route schemas, then regenerate (a test fails while this file differs).\n\n';

/**
 * The TypeScript types (`paths`, `components`) openapi-typescript makes of an OpenAPI document,
 * formatted as the repository's Prettier formats the committed file.
 */
export async function renderTypes(document: unknown): Promise<string> {
  const nodes = await openapiTS(document as Parameters<typeof openapiTS>[0]);
  const filepath = fileURLToPath(GENERATED_TYPES_PATH);
  const options = await prettier.resolveConfig(filepath);
  return prettier.format(HEADER + astToString(nodes), { ...options, filepath });
}

/** The OpenAPI document an api at `baseUrl` serves. */
export async function fetchServedDocument(baseUrl: string): Promise<unknown> {
  const res = await fetch(new URL('/api/schema/', baseUrl));
  if (!res.ok) throw new Error(`GET /api/schema/ answered ${res.status}`);
  return res.json();
}
