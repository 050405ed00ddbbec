import { describe, expect, it } from 'vitest';
import { chatSocketPath, LAST_EVENT_ID_PARAM, TICKET_PROTOCOL } from './socket-contract.js';

// Every other test builds socket URLs from these constants; this one pins them to what deployed
// clients already send (CONTRACT.md, README), so changing one is a contract change, not a refactor.
describe('socket contract constants', () => {
  it('are the values clients send', () => {
    expect(chatSocketPath('acme')).toBe('/ws/chat/acme/');
    expect(TICKET_PROTOCOL).toBe('helpdesk-ticket');
    expect(LAST_EVENT_ID_PARAM).toBe('last_event_id');
  });
});
