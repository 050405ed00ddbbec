import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from './duplicate-filter.js';

describe('DuplicateFilter', () => {
  it('admits ids above the last one admitted, per topic, and ids of topics without sockets unremembered', () => {
    const hosted = new Set(['org:a', 'org:b']);
    const filter = new DuplicateFilter((topic) => hosted.has(topic));
    expect([1, 2, 2, 1, 3].map((id) => filter.admit('org:a', id))).toEqual([true, true, false, false, true]);
    // Another topic has ids of its own.
    expect(filter.admit('org:b', 1)).toBe(true);
    // Id-less payloads (an older publisher) always pass.
    expect([undefined, undefined].map((id) => filter.admit('org:a', id))).toEqual([true, true]);
    // No sockets, no id kept: the same id passes again.
    expect([5, 5].map((id) => filter.admit('org:c', id))).toEqual([true, true]);
    expect(filter.lastId('org:c')).toBeUndefined();
    expect([...filter.lastIdsByTopic()]).toEqual([
      ['org:a', 3],
      ['org:b', 1],
    ]);
  });

  it('forgets a topic whose last socket left, so its ids may start over', () => {
    const filter = new DuplicateFilter(() => true);
    filter.admit('org:a', 7);
    filter.forget('org:a');
    expect(filter.lastId('org:a')).toBeUndefined();
    expect(filter.admit('org:a', 1)).toBe(true);
  });
});
