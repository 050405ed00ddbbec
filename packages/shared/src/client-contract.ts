// The part of the contract a client app needs (objects, event names and payloads, close codes,
// socket constants), with no Node-only import: `@helpdesk/shared/client-contract` is safe to
// bundle for browsers, which the main entry (Redis, metrics, crypto) is not.
export type * from './objects.js';
export { MESSAGE_TYPES, MESSAGE_STATUSES, HELP_DESK_STATUSES } from './objects.js';
export { EVENT_TYPES, RESYNC_EVENT_TYPE, type EventType, type EventPayloads, type Envelope } from './events.js';
export { CLOSE_CODES, CLOSE_REASONS } from './close-codes.js';
export * from './socket-contract.js';
export { HELP_DESK_SEARCH_MAX_LENGTH, clientMatchesSearch, searchPhoneDigits } from './help-desk-search.js';
