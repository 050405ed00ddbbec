// What the load generator puts in a message's text, and how a receiving socket reads it back out
// of a frame without parsing JSON: `BENCH<seq>.<sentAtMicros>.<phase>.` then padding. The marker
// survives both JSON encodings of the envelope unchanged (digits, dots and letters need no escape).

import { EVENT_TYPES, type EventType } from '@helpdesk/shared';

export const MARKER = 'BENCH';

/** Index of new_message in EVENT_TYPES: the event every scenario sends and the headline latency. */
export const NEW_MESSAGE = EVENT_TYPES.indexOf('new_message');
const MARKER_BYTES = Buffer.from(MARKER);

/** Events published during warm-up are counted for loss but kept out of the latency figures. */
export const PHASE_MEASURE = 0;
export const PHASE_WARMUP = 1;

/** A message text of exactly `length` characters (or the bare marker when that is longer). */
export function markerText(seq: number, sentAtMicros: number, phase: number, length: number): string {
  const marker = `${MARKER}${seq}.${Math.round(sentAtMicros)}.${phase}.`;
  return marker.length >= length ? marker : marker + 'x'.repeat(length - marker.length);
}

export interface FrameMark {
  /** Index into EVENT_TYPES. */
  type: number;
  seq: number;
  sentAtMicros: number;
  phase: number;
}

const TYPE_OFFSET = '{"type":"'.length;
const TYPE_PREFIX = Buffer.from('{"type":"');
const UPDATE_SUFFIX_OFFSET = TYPE_OFFSET + 'update_'.length;

/**
 * Event type of an encoded envelope from its first bytes (encodeEnvelope writes `type` first):
 * new_message, update_helpdesk or update_message. -1 when the frame is none of them.
 */
export function frameType(frame: Buffer): number {
  if (
    frame.length < UPDATE_SUFFIX_OFFSET + 1 ||
    frame.compare(TYPE_PREFIX, 0, TYPE_PREFIX.length, 0, TYPE_PREFIX.length) !== 0
  )
    return -1;
  const first = frame[TYPE_OFFSET];
  if (first === 0x6e /* n */) return EVENT_TYPES.indexOf('new_message');
  if (first !== 0x75 /* u */) return -1;
  const suffix = frame[UPDATE_SUFFIX_OFFSET];
  if (suffix === 0x68 /* h */) return EVENT_TYPES.indexOf('update_helpdesk');
  if (suffix === 0x6d /* m */) return EVENT_TYPES.indexOf('update_message');
  return -1;
}

/** Reads the marker out of a frame; undefined when the frame carries none (not ours). */
export function readFrame(frame: Buffer): FrameMark | undefined {
  const type = frameType(frame);
  if (type < 0) return undefined;
  const at = frame.indexOf(MARKER_BYTES);
  if (at < 0) return undefined;
  let i = at + MARKER_BYTES.length;
  const fields = [0, 0, 0];
  for (let f = 0; f < 3; f++) {
    let value = 0;
    let digits = 0;
    for (; i < frame.length; i++) {
      const c = frame[i]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      digits++;
    }
    if (digits === 0 || frame[i] !== 0x2e /* . */) return undefined;
    fields[f] = value;
    i++;
  }
  return { type, seq: fields[0]!, sentAtMicros: fields[1]!, phase: fields[2]! };
}

export function eventTypeName(index: number): EventType {
  const name = EVENT_TYPES[index];
  if (name === undefined) throw new Error(`no event type ${index}`);
  return name;
}

/** process.hrtime is CLOCK_MONOTONIC: one clock for every process on the machine. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
