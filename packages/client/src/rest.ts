import createFetchClient, { type Client } from 'openapi-fetch';
import { WS_TICKETS_PATH } from '@helpdesk/shared/client-contract';
import { ApiError } from './api-error.js';
import type { components, paths } from './generated/api.js';
import { apiUrl } from './api-url.js';
import { nextLink } from './link-header.js';

export type Message = components['schemas']['Message'];
export type HelpDesk = components['schemas']['HelpDesk'];
export type RestClient = Client<paths>;
export type FetchLike = (input: Request) => Promise<Response>;

/** The typed openapi-fetch client, every request carrying `Authorization: Bearer <key>`. */
export function createRestClient(baseUrl: string, apiKey: string, fetch: FetchLike): RestClient {
  const api = createFetchClient<paths>({ baseUrl, fetch });
  api.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${apiKey}`);
      return request;
    },
  });
  return api;
}

/** The body of a successful answer; anything else is thrown as an ApiError. */
export async function expectOk<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
  request: string,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw new ApiError(response.status, error as ApiError['body'], request);
  return data;
}

/**
 * Pages of a list the api pages with a `Link: <…>; rel="next"` header, in the order the api
 * links them, each page as the api sent it. A list that is not paged is one page.
 */
export async function* linkedPages<T>(
  baseUrl: string,
  first: URL,
  apiKey: string,
  fetch: FetchLike,
): AsyncGenerator<T[], void> {
  let url: URL | undefined = first;
  while (url !== undefined) {
    const request = `GET ${url.pathname}`;
    const response = await fetch(new Request(url, { headers: { authorization: `Bearer ${apiKey}` } }));
    if (!response.ok) throw await ApiError.of(response, request);
    yield (await response.json()) as T[];
    const next = nextLink(response.headers.get('link'));
    url = next === undefined ? undefined : apiUrl(baseUrl, next);
  }
}

/** A socket ticket for the organization: `POST /api/ws-tickets/` with the client's key. */
export async function requestTicket(api: RestClient, organization: string): Promise<string> {
  const answer = await expectOk(api.POST(WS_TICKETS_PATH, { body: { organization } }), `POST ${WS_TICKETS_PATH}`);
  return answer.token;
}
