import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';

// Contract objects for the state tests, with timestamps in microseconds as the server writes them.

export function at(second: number, micro = 0): string {
  const date = new Date(Date.UTC(2026, 11, 5, 12, 0, second));
  return date.toISOString().replace(/\.\d+Z$/, `.${String(micro).padStart(6, '0')}+00:00`);
}

export function message(overrides: Partial<MessageJson> & Pick<MessageJson, 'uuid'>): MessageJson {
  return {
    created_at: at(0),
    updated_at: at(0),
    message: 'hello',
    file: null,
    type: 'sent',
    status: 'sent',
    help_desk: 'desk-1',
    ...overrides,
  };
}

export function helpDesk(uuid: string, updatedAt: string, overrides: Partial<HelpDeskJson> = {}): HelpDeskJson {
  return {
    created_at: at(0),
    updated_at: updatedAt,
    uuid,
    client: {
      uuid: `client-${uuid}`,
      created_at: at(0),
      updated_at: at(0),
      name: `Client ${uuid}`,
      phone: '5511999990000',
    },
    last_message: null,
    status: 'open',
    ...overrides,
  };
}
