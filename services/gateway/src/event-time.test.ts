import { encodeEnvelope, encodeResync, type HelpDeskJson, type MessageJson } from '@helpdesk/shared';
import { describe, expect, it } from 'vitest';
import { changeTimeOf } from './event-time.js';

const message: MessageJson = {
  created_at: '2026-11-25T13:22:52.833000+00:00',
  updated_at: '2026-11-25T10:22:53.250001-03:00',
  uuid: '3f1c8f8e-5b7a-4c59-9d51-0c1c2b7a9e10',
  message: 'Olá ✓',
  file: null,
  type: 'sent',
  status: 'sent',
  help_desk: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
};

describe('changeTimeOf', () => {
  it("reads the data's updated_at (with its offset) from a message's or a help desk's frame, as text or bytes", () => {
    const frame = encodeEnvelope('update_message', message, 7);
    expect(changeTimeOf(frame)).toBe(Date.parse('2026-11-25T13:22:53.250Z'));
    expect(changeTimeOf(Buffer.from(frame))).toBe(Date.parse('2026-11-25T13:22:53.250Z'));
    const helpDesk: HelpDeskJson = {
      created_at: '2026-11-25T13:00:00.000000+00:00',
      updated_at: '2026-11-25T13:22:53.251000+00:00',
      uuid: message.help_desk,
      client: {
        uuid: '0c1c2b7a-9e10-4c59-9d51-3f1c8f8e5b7a',
        created_at: '2026-11-25T12:00:00.000000+00:00',
        updated_at: '2026-11-25T12:00:00.000000+00:00',
        name: 'Ana',
        phone: '5511',
      },
      last_message: message,
    };
    expect(changeTimeOf(encodeEnvelope('update_helpdesk', helpDesk, 8))).toBe(Date.parse('2026-11-25T13:22:53.251Z'));
  });

  it('answers undefined for frames without one', () => {
    expect(changeTimeOf(encodeResync(3))).toBeUndefined();
    expect(changeTimeOf('{"type":"x","data":"{}"}')).toBeUndefined();
    expect(changeTimeOf('{"type":"x","data":"{\\"updated_at\\":\\"not a time\\"}"}')).toBeUndefined();
  });
});
