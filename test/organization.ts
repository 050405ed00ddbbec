import { randomBytes } from 'node:crypto';
import type { ClientJson, HelpDeskJson, OrganizationJson } from '../packages/shared/src/index.js';

// The one way tests make an organization, whatever they drive: an api process over HTTP or an app
// in the test's own process through Fastify's inject(). Everything is made through the public
// api, as an administrator and then the organization itself would.

/** Something that answers inject() as a Fastify app does. */
interface Injector {
  inject(options: {
    method: 'POST';
    url: string;
    headers: Record<string, string>;
    payload: string;
  }): Promise<{ statusCode: number; body: string }>;
}

/**
 * An api a test talks to, and the administrator key it talks with: `baseUrl` for a process, `app`
 * for an app in this process (services/api/test's harness is one as it is).
 */
export type TestApi = { readonly adminToken: string } & ({ readonly baseUrl: string } | { readonly app: Injector });

/** An organization and its own API key. */
export interface OrganizationWithKey {
  name: string;
  /** The api's answer to the organization's creation. */
  json: OrganizationJson;
  /** Everything below the administration is done with it. */
  key: string;
}

/** An organization with its key, a client and a help desk: what most tests start from. */
export interface TestOrganization extends OrganizationWithKey {
  client: ClientJson;
  helpDesk: HelpDeskJson;
}

/** A name no other test uses: `stem` and a random suffix. */
export function uniqueName(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}

/** POSTs JSON with `key` (the administrator's unless given); anything but 201 fails the test with the answer. */
export async function create<T>(api: TestApi, path: string, body: unknown, key = api.adminToken): Promise<T> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  const payload = JSON.stringify(body);
  let status: number;
  let text: string;
  if ('app' in api) {
    const res = await api.app.inject({ method: 'POST', url: path, headers, payload });
    [status, text] = [res.statusCode, res.body];
  } else {
    const res = await fetch(`${api.baseUrl}${path}`, { method: 'POST', headers, body: payload });
    [status, text] = [res.status, await res.text()];
  }
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${text}`);
  return JSON.parse(text) as T;
}

/** A new key of the organization, made by the administrator. */
export async function createOrganizationKey(api: TestApi, organization: string, name = 'agents'): Promise<string> {
  return (await create<{ key: string }>(api, `/api/organizations/${organization}/api-keys/`, { name })).key;
}

/** A client of the organization, made with `key` (the administrator's unless given). */
export function createClient(
  api: TestApi,
  organization: string,
  client: { name: string; phone: string } = { name: 'Client name', phone: '5511900000000' },
  key?: string,
): Promise<ClientJson> {
  return create<ClientJson>(api, '/api/clients/', { organization, ...client }, key);
}

/** A help desk for the client, made with `key` (the administrator's unless given). */
export function createHelpDesk(
  api: TestApi,
  organization: string,
  client: string,
  key?: string,
): Promise<HelpDeskJson> {
  return create<HelpDeskJson>(api, '/api/help-desks/', { organization, client }, key);
}

/** An organization (`label` and a random suffix, or exactly `name`) and a key of its own. */
export async function createOrganizationWithKey(
  api: TestApi,
  label: string,
  { name = uniqueName(label) }: { name?: string } = {},
): Promise<OrganizationWithKey> {
  const json = await create<OrganizationJson>(api, '/api/organizations/', { name });
  return { name, json, key: await createOrganizationKey(api, name) };
}

/**
 * An organization with its key, and a client and a help desk that the organization made with that
 * key. `client` names the client (by default "Client of <label>").
 */
export async function createOrganization(
  api: TestApi,
  label: string,
  options: { name?: string; client?: { name: string; phone: string } } = {},
): Promise<TestOrganization> {
  const organization = await createOrganizationWithKey(api, label, options);
  const client = await createClient(
    api,
    organization.name,
    options.client ?? { name: `Client of ${label}`, phone: '5511900000000' },
    organization.key,
  );
  const helpDesk = await createHelpDesk(api, organization.name, client.uuid, organization.key);
  return { ...organization, client, helpDesk };
}
