// @helpdesk/client: the typed REST client and the live-events subscription of helpdesk-chat.
export { createClient } from './client.js';
export type { ClientOptions, HelpdeskClient, HelpDeskPageOptions, PageOptions } from './client.js';
export { ApiError, type ErrorBody } from './api-error.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { nextLink } from './link-header.js';
export type { NetworkStatus, Timers, WebSocketClass, WebSocketLike } from './platform.js';
export type { HelpDesk, Message, RestClient } from './rest.js';
export type { FileInput, SendMessageInput } from './send-message.js';
export {
  Subscription,
  type AnyLiveEvent,
  type ClosedReason,
  type ConnectionState,
  type LiveEvent,
  type SubscriptionEvents,
  type SubscriptionOptions,
} from './subscription.js';
export type { components, paths } from './generated/api.js';
export { EVENT_TYPES, RESYNC_EVENT_TYPE, CLOSE_CODES } from '@helpdesk/shared/client-contract';
export type { EventPayloads, EventType, HelpDeskJson, MessageJson, ClientJson } from '@helpdesk/shared/client-contract';
