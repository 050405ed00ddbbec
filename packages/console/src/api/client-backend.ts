import { ApiError, createClient } from '@helpdesk/client';
import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';
import { BackendError, describeErrorBody, type Backend, type ServerLimits } from './backend';

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer; an error answer becomes a BackendError in the api's words. */
async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new BackendError(response.status, describeErrorBody(response.status, error));
  return data as T;
}

/** The client's ApiError (thrown by its helpers) in the console's terms. */
async function translated<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ApiError) throw new BackendError(error.status, describeErrorBody(error.status, error.body));
    throw error;
  }
}

function translatedPages<T>(pages: AsyncIterator<T>): AsyncIterator<T> {
  return { next: () => translated(pages.next()) };
}

/** The console's Backend over @helpdesk/client, on the origin the console was loaded from. */
export function createClientBackend(apiKey: string, origin = window.location.origin): Backend {
  const client = createClient({ baseUrl: origin, apiKey });
  const { api } = client;

  return {
    async identify() {
      // The api says whose the key is: no probe of an administrator's route (a 403 logged by the
      // browser at every agent's sign-in).
      const who = await ok(api.GET('/api/whoami/'));
      if (who.kind === 'admin') return { kind: 'admin' };
      if (who.organization === null) throw new BackendError(403, 'This key belongs to no organization.');
      return { kind: 'organization', organization: who.organization };
    },
    async limits() {
      const response = await fetch(new URL('/console/limits.json', origin));
      if (!response.ok) throw new BackendError(response.status, 'No limits.');
      const body = (await response.json()) as { max_file_bytes: number; max_message_chars: number };
      return { maxFileBytes: body.max_file_bytes, maxMessageChars: body.max_message_chars } satisfies ServerLimits;
    },
    helpDeskPages: (organization, { status, limit, search }) =>
      translatedPages<HelpDeskJson[]>(client.helpDesks(organization, { status, limit, search })),
    historyPages: (helpDesk, { limit }) => translatedPages<MessageJson[]>(client.history(helpDesk, { limit })),
    sendMessage: ({ helpDesk, message, file, idempotencyKey }) =>
      translated<MessageJson>(client.sendMessage({ helpDesk, message, file, idempotencyKey })),
    setHelpDeskStatus: (helpDesk, status) =>
      ok(api.PATCH('/api/help-desks/{uuid}/', { params: { path: { uuid: helpDesk } }, body: { status } })),
    async downloadFile(fileUrl) {
      // Only the path is used: the key goes to this origin, never to a host named in a message.
      const [, key, name] = /\/api\/files\/([^/]+)\/([^/?#]+)/.exec(new URL(fileUrl, origin).pathname) ?? [];
      if (key === undefined || name === undefined) throw new BackendError(undefined, 'Not a file of this server.');
      const path = { key: decodeURIComponent(key), name: decodeURIComponent(name) };
      return ok<Blob>(api.GET('/api/files/{key}/{name}', { params: { path }, parseAs: 'blob' }));
    },
    subscribe: (organization) => client.subscribe(organization),

    organizations: () => ok(api.GET('/api/organizations/')),
    createOrganization: (name) => ok(api.POST('/api/organizations/', { body: { name } })),
    apiKeys: (organization) =>
      ok(api.GET('/api/organizations/{name}/api-keys/', { params: { path: { name: organization } } })),
    createApiKey: (organization, name) =>
      ok(api.POST('/api/organizations/{name}/api-keys/', { params: { path: { name: organization } }, body: { name } })),
    revokeApiKey: async (organization, uuid) => {
      await ok(
        api.DELETE('/api/organizations/{name}/api-keys/{uuid}/', { params: { path: { name: organization, uuid } } }),
      );
    },
    clients: (organization) => ok(api.GET('/api/clients/', { params: { query: { organization } } })),
    createClient: (organization, name, phone) => ok(api.POST('/api/clients/', { body: { organization, name, phone } })),
    createHelpDesk: (organization, clientUuid) =>
      ok(api.POST('/api/help-desks/', { body: { organization, client: clientUuid } })),
    async webhook(organization) {
      const answer = await api.GET('/api/organizations/{name}/webhook/', { params: { path: { name: organization } } });
      if (answer.response.status === 404) return undefined;
      return ok(Promise.resolve(answer));
    },
    setWebhook: (organization, url, secret) =>
      ok(
        api.PUT('/api/organizations/{name}/webhook/', {
          params: { path: { name: organization } },
          body: { url, secret },
        }),
      ),
    removeWebhook: async (organization) => {
      await ok(api.DELETE('/api/organizations/{name}/webhook/', { params: { path: { name: organization } } }));
    },
  };
}
