import type { ClientJson, HelpDeskJson, HelpDeskStatus, MessageJson, OrganizationJson } from '@helpdesk/shared';

// What the console needs from the server, in one interface, so stores are tested with a fake and
// the one implementation (client-backend.ts) is the only code that knows @helpdesk/client.

/** The connection's state, as the client's subscription reports it. */
export type ConnectionState =
  | { type: 'connecting'; attempt: number }
  | { type: 'connected' }
  | { type: 'disconnected'; code: number | undefined; reason: string; retryInMs: number | undefined }
  | {
      type: 'closed';
      reason: 'closed' | 'key-revoked' | 'unauthorized' | 'refused';
      code: number | undefined;
      detail: string;
    };

export interface LiveEventMap {
  new_message: { data: MessageJson; id: number | undefined };
  update_message: { data: MessageJson; id: number | undefined };
  update_helpdesk: { data: HelpDeskJson; id: number | undefined };
  resync: { lastEventId: number | undefined };
  state: ConnectionState;
  error: Error;
}

export interface LiveSubscription {
  on<K extends keyof LiveEventMap>(name: K, listener: (value: LiveEventMap[K]) => unknown): () => void;
  close(): void;
}

export interface ApiKeyJson {
  uuid: string;
  name: string;
  created_at: string;
}

export interface CreatedApiKeyJson extends ApiKeyJson {
  key: string;
}

export interface WebhookJson {
  url: string;
  created_at: string;
  updated_at: string;
}

export interface ServerLimits {
  maxFileBytes: number;
  maxMessageChars: number;
}

export type Identity = { kind: 'admin' } | { kind: 'organization'; organization: string };

export interface SendInput {
  helpDesk: string;
  message: string;
  file: File | undefined;
  idempotencyKey: string;
}

export interface Backend {
  /** Who the key belongs to; throws BackendError 401 for a wrong or revoked key. */
  identify(): Promise<Identity>;
  limits(): Promise<ServerLimits>;
  /** The organization's help desks in pages; with `search`, only those whose client's name or phone contains it. */
  helpDeskPages(
    organization: string,
    options: { status: HelpDeskStatus | undefined; limit: number; search: string | undefined },
  ): AsyncIterator<HelpDeskJson[]>;
  historyPages(helpDesk: string, options: { limit: number }): AsyncIterator<MessageJson[]>;
  sendMessage(input: SendInput): Promise<MessageJson>;
  setHelpDeskStatus(helpDesk: string, status: HelpDeskStatus): Promise<HelpDeskJson>;
  /** A message's file, fetched with the key (a plain link would carry none). */
  downloadFile(fileUrl: string): Promise<Blob>;
  subscribe(organization: string): LiveSubscription;

  organizations(): Promise<OrganizationJson[]>;
  createOrganization(name: string): Promise<OrganizationJson>;
  apiKeys(organization: string): Promise<ApiKeyJson[]>;
  createApiKey(organization: string, name: string): Promise<CreatedApiKeyJson>;
  revokeApiKey(organization: string, uuid: string): Promise<void>;
  clients(organization: string): Promise<ClientJson[]>;
  createClient(organization: string, name: string, phone: string): Promise<ClientJson>;
  createHelpDesk(organization: string, client: string): Promise<HelpDeskJson>;
  webhook(organization: string): Promise<WebhookJson | undefined>;
  setWebhook(organization: string, url: string, secret: string): Promise<WebhookJson>;
  removeWebhook(organization: string): Promise<void>;
}

/** A failed call, with the api's own words. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The words to show for an error answer in DRF's shape: its `detail`, or each field's problems
 * (`{"name": ["This field is required."]}` → "name: This field is required.").
 */
export function describeErrorBody(status: number, body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const detail = (body as { detail?: unknown }).detail;
    if (typeof detail === 'string') return detail;
    const fields = Object.entries(body as Record<string, unknown>)
      .map(([field, problems]) => {
        const list = Array.isArray(problems) ? problems.filter((p): p is string => typeof p === 'string') : [];
        return list.length > 0 ? `${field}: ${list.join(' ')}` : undefined;
      })
      .filter((line): line is string => line !== undefined);
    if (fields.length > 0) return fields.join('\n');
  }
  if (status >= 500) return 'The server failed to answer. Try again.';
  return `The server answered ${status}.`;
}

/** What to show for anything a call threw. */
export function errorText(error: unknown): string {
  if (error instanceof BackendError) return error.message;
  if (error instanceof TypeError) return 'The server cannot be reached.';
  return error instanceof Error ? error.message : String(error);
}
