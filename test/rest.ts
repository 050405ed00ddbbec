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

/** A socket ticket for the organization, as a client gets one: traded for its key over REST. */
export async function socketTicket(httpBase: string, organization: string, key: string): Promise<string> {
  return String((await post(httpBase, '/api/ws-tickets/', { organization }, key)).token);
}
