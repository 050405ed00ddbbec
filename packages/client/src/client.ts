import { ApiError } from './api-error.js';
import { apiPath, apiUrl } from './api-url.js';
import type { paths } from './generated/api.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import {
  browserNetworkStatus,
  defaultTimers,
  globalWebSocket,
  type NetworkStatus,
  type Timers,
  type WebSocketClass,
} from './platform.js';
import {
  createRestClient,
  linkedPages,
  requestTicket,
  type FetchLike,
  type HelpDesk,
  type Message,
  type RestClient,
} from './rest.js';
import { sendMessage, type SendMessageInput } from './send-message.js';
import { Subscription, type SubscriptionOptions } from './subscription.js';

export interface ClientOptions {
  /** Where the api is: `https://chat.example.com` (REST under `/api/`). */
  baseUrl: string;
  /** An organization's API key (`hdk_…`); sent as a Bearer header, never in a URL. */
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: (input: Request) => Promise<Response>;
  /** Defaults to the global WebSocket (browsers, Node 22+); on Node 20 pass `ws`'s. */
  WebSocket?: WebSocketClass;
  /** Where `/ws/chat/` is when not on baseUrl's origin; defaults to baseUrl with ws: or wss:. */
  socketUrl?: string;
  /** Reconnect delays: full jitter between minDelayMs (500) and a ceiling doubling up to maxDelayMs (20,000). */
  reconnect?: Partial<BackoffOptions>;
  /** How long getting a ticket and opening the socket may take before it retries (15,000 ms). */
  connectTimeoutMs?: number;
  /** For tests and unusual runtimes: timers, randomness, and where online/offline events come from. */
  timers?: Timers;
  random?: () => number;
  network?: NetworkStatus;
}

/** `limit` (1 to 200; without it the api answers one page of everything) and `before` (a message uuid). */
export type PageOptions = NonNullable<paths['/api/help-desks/{uuid}/history/']['get']['parameters']['query']>;

/**
 * `limit`, `before` (the api's opaque cursor), `status` (open or closed) and `search` (a part of the
 * client's name or phone; the next pages keep it).
 */
export type HelpDeskPageOptions = Omit<paths['/api/help-desks/']['get']['parameters']['query'], 'organization'>;

export interface HelpdeskClient {
  /** The typed openapi-fetch client for every route of the api (answers `{ data, error, response }`). */
  readonly api: RestClient;
  /** Sends a message (with a file: multipart). Throws ApiError on anything but 201. */
  sendMessage(input: SendMessageInput): Promise<Message>;
  /** A help desk's history in pages, newest page first, each page oldest message first. */
  history(helpDesk: string, options?: PageOptions): AsyncGenerator<Message[], void>;
  /** An organization's help desks in pages, most recent activity first. */
  helpDesks(organization: string, options?: HelpDeskPageOptions): AsyncGenerator<HelpDesk[], void>;
  /**
   * The bytes of a message's file (its `file` URL), fetched with the key. The key goes only to
   * baseUrl: the URL's `/api/files/…` path is read from there, whatever origin the URL names.
   */
  downloadFile(fileUrl: string): Promise<Blob>;
  /** A ticket for the organization's socket (`POST /api/ws-tickets/`). */
  ticket(organization: string): Promise<string>;
  /** The organization's live events, reconnecting and resuming by itself until closed. */
  subscribe(organization: string, options?: SubscriptionOptions): Subscription;
}

const FILES_PATH = '/api/files/';
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export function createClient(options: ClientOptions): HelpdeskClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
  const api = createRestClient(baseUrl, options.apiKey, fetchImpl);
  const pages = <T>(path: string, query: Record<string, string | number | undefined>) => {
    const url = apiUrl(baseUrl, path);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    return linkedPages<T>(baseUrl, url, options.apiKey, fetchImpl);
  };
  const ticket = (organization: string) => requestTicket(api, organization);

  return {
    api,
    sendMessage: (input) => sendMessage(api, input),
    history: (helpDesk, { limit, before } = {}) =>
      pages<Message>(`/api/help-desks/${encodeURIComponent(helpDesk)}/history/`, { limit, before }),
    helpDesks: (organization, { limit, before, status, search } = {}) =>
      pages<HelpDesk>('/api/help-desks/', { organization, limit, before, status, search }),
    async downloadFile(fileUrl) {
      const pathname = apiPath(baseUrl, fileUrl);
      if (!pathname.startsWith(FILES_PATH)) throw new TypeError(`not a file of this api: ${fileUrl}`);
      const request = `GET ${pathname}`;
      const response = await fetchImpl(
        new Request(`${baseUrl}${pathname}`, { headers: { authorization: `Bearer ${options.apiKey}` } }),
      );
      if (!response.ok) throw await ApiError.of(response, request);
      return response.blob();
    },
    ticket,
    subscribe(organization, { lastEventId, getTicket } = {}) {
      const WebSocket = options.WebSocket ?? globalWebSocket();
      if (WebSocket === undefined) {
        throw new TypeError('No global WebSocket here (Node 20): pass one, e.g. createClient({ WebSocket }) from "ws"');
      }
      return new Subscription({
        socketBaseUrl: options.socketUrl ?? baseUrl.replace(/^http/, 'ws'),
        organization,
        getTicket: getTicket ?? ticket,
        WebSocket,
        timers: options.timers ?? defaultTimers,
        random: options.random ?? Math.random,
        backoff: { ...DEFAULT_BACKOFF, ...options.reconnect },
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        network: options.network ?? browserNetworkStatus(),
        lastEventId,
      });
    },
  };
}

export { ApiError };
