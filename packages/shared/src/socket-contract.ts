// What a client of the chat socket must agree on with the gateway (ours, beside CONTRACT.md's
// frames): where the socket is, how it presents its ticket, how it resumes.

/** `/ws/chat/<organization>/`: the socket path of CONTRACT.md. */
export const CHAT_SOCKET_PATH_PREFIX = '/ws/chat/';

export function chatSocketPath(organization: string): string {
  return `${CHAT_SOCKET_PATH_PREFIX}${organization}/`;
}

/**
 * The subprotocol that announces "the other offered protocol is my ticket": browsers cannot set
 * headers on a WebSocket, so they offer `['helpdesk-ticket', '<ticket>']`.
 */
export const TICKET_PROTOCOL = 'helpdesk-ticket';

/** `?last_event_id=<id>`: the id of the last event the client saw, so it is sent what it missed. */
export const LAST_EVENT_ID_PARAM = 'last_event_id';

/** Where a key holder trades its key for a socket ticket (POST `{"organization"}`). */
export const WS_TICKETS_PATH = '/api/ws-tickets/';
