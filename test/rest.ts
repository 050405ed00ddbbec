import { randomBytes } from 'node:crypto';

export type Json = Record<string, unknown>;

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** POST JSON with a key; anything but 201 fails the test with the answer. */
export async function post(base: string, path: string, body: unknown, key: string): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(key) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Json;
}

export interface Tenant {
  name: string;
  /** The organization's own API key: everything below the administration is done with it. */
  key: string;
  client: Json;
  helpDesk: Json;
}

/** An organization with its key, a client and a help desk, made through the api as a user would. */
export async function createTenant(base: string, label: string, adminToken: string): Promise<Tenant> {
  const name = `${label}-${randomBytes(4).toString('hex')}`;
  await post(base, '/api/organizations/', { name }, adminToken);
  const key = String((await post(base, `/api/organizations/${name}/api-keys/`, { name: 'agents' }, adminToken)).key);
  const client = await post(
    base,
    '/api/clients/',
    { organization: name, name: `Client of ${label}`, phone: '5511900000000' },
    key,
  );
  const helpDesk = await post(base, '/api/help-desks/', { organization: name, client: client.uuid }, key);
  return { name, key, client, helpDesk };
}

/** A socket ticket for the organization, as a client gets one: traded for its key over REST. */
export async function socketTicket(httpBase: string, organization: string, key: string): Promise<string> {
  return String((await post(httpBase, '/api/ws-tickets/', { organization }, key)).token);
}
