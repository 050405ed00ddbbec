import { describe, expect, it } from 'vitest';
import { envelopeId } from './envelope-id.js';
import { encodeEnvelope, encodeResync } from './events.js';
import type { MessageJson } from './objects.js';

const message: MessageJson = {
  created_at: '2021-06-15T11:57:16.420655-03:00',
  updated_at: '2021-06-15T11:57:19.582823-03:00',
  uuid: '6f2c0000-0000-4000-8000-000000000000',
  message: 'teste "quoted" , "id":9}',
  file: null,
  type: 'sent',
  status: 'sent',
  help_desk: '9b1e0000-0000-4000-8000-000000000000',
};

describe('envelope', () => {
  it('double-encodes data and puts the id after the contract keys', () => {
    const frame = encodeEnvelope('new_message', message, 42);
    expect(Object.keys(JSON.parse(frame) as object)).toEqual(['type', 'data', 'id']);
    expect(JSON.parse(frame)).toEqual({ type: 'new_message', data: JSON.stringify(message), id: 42 });
    expect(encodeEnvelope('new_message', message)).toBe(
      JSON.stringify({ type: 'new_message', data: JSON.stringify(message) }),
    );
  });

  it('reads the id from the tail, as string or bytes, and nothing from frames without one', () => {
    for (const id of [0, 1, 42, 9_007_199_254_740]) {
      const frame = encodeEnvelope('update_message', message, id);
      expect(envelopeId(frame)).toBe(id);
      expect(envelopeId(Buffer.from(frame))).toBe(id);
    }
    expect(envelopeId(encodeEnvelope('update_message', message))).toBeUndefined();
    expect(envelopeId(encodeResync(5))).toBeUndefined();
    expect(envelopeId('')).toBeUndefined();
    expect(envelopeId('{"x":"a","id":}')).toBeUndefined();
    expect(envelopeId('{"x":"a","xid":12}')).toBeUndefined();
  });

  it('writes resync as an envelope whose data is a JSON string', () => {
    expect(encodeResync(7)).toBe('{"type":"resync","data":"{\\"last_event_id\\":7}"}');
  });
});
