import { describe, expect, it } from 'vitest';
import { mergeHelpDesks, upsertHelpDesk, visibleHelpDesks, withMembers, type HelpDeskIndex } from './help-desk-list';
import { at, helpDesk } from './test-objects';

/** The list of every help desk in the index, or only of `members`. */
const uuids = (index: HelpDeskIndex, status: 'open' | 'closed' | 'all' = 'all', members?: ReadonlySet<string>) =>
  visibleHelpDesks(index, members ?? new Set(index.keys()), status).map((desk) => desk.uuid);

describe('the help-desk list', () => {
  it('orders by most recent activity, to the microsecond, whatever the offsets', () => {
    const index = mergeHelpDesks(new Map(), [
      helpDesk('a', '2026-12-05T12:00:00.000001+00:00'),
      helpDesk('b', '2026-12-05T09:00:00.000002-03:00'),
      helpDesk('c', '2026-12-05T11:59:59.999999+00:00'),
    ]);
    expect(uuids(index)).toEqual(['b', 'a', 'c']);
  });

  it('moves a help desk to the top when update_helpdesk brings newer activity, and adds a new one', () => {
    let index = mergeHelpDesks(new Map(), [helpDesk('a', at(3)), helpDesk('b', at(2)), helpDesk('c', at(1))]);
    index = upsertHelpDesk(index, helpDesk('c', at(4)));
    expect(uuids(index)).toEqual(['c', 'a', 'b']);
    index = upsertHelpDesk(index, helpDesk('new', at(5)));
    expect(uuids(index)).toEqual(['new', 'c', 'a', 'b']);
  });

  it('keeps the newer version when an older page arrives after a live update (a refetch merges by id)', () => {
    let index = mergeHelpDesks(new Map(), [helpDesk('a', at(1), { status: 'open' })]);
    index = upsertHelpDesk(index, helpDesk('a', at(5), { status: 'closed' }));
    index = mergeHelpDesks(index, [helpDesk('a', at(1), { status: 'open' }), helpDesk('b', at(2))]);
    expect(index.get('a')?.status).toBe('closed');
    expect(uuids(index)).toEqual(['a', 'b']);
  });

  it('leaves the index as it was when a page brings nothing newer (nothing to draw again)', () => {
    const index = mergeHelpDesks(new Map(), [helpDesk('a', at(2)), helpDesk('b', at(1))]);
    expect(mergeHelpDesks(index, [helpDesk('a', at(1)), helpDesk('b', at(0))])).toBe(index);
    // A page naming one help desk twice keeps its newer version, as two events would.
    const twice = mergeHelpDesks(index, [helpDesk('b', at(5)), helpDesk('b', at(3))]);
    expect(uuids(twice)).toEqual(['b', 'a']);
    expect(twice.get('b')?.updated_at).toBe(at(5));
    expect(uuids(index)).toEqual(['a', 'b']);
  });

  it('filters by status; a list shows only its members, in the same order', () => {
    const index = mergeHelpDesks(new Map(), [
      helpDesk('a', at(3)),
      helpDesk('b', at(2), { status: 'closed' }),
      helpDesk('c', at(1)),
    ]);
    expect(uuids(index, 'open')).toEqual(['a', 'c']);
    expect(uuids(index, 'closed')).toEqual(['b']);
    // A member not (yet) in the index is left out rather than shown half-known.
    expect(uuids(index, 'all', new Set(['c', 'a', 'unknown']))).toEqual(['a', 'c']);
    expect(uuids(index, 'closed', new Set(['c', 'a']))).toEqual([]);
  });

  it('adds members with one copy of the set, and none when they all were members already', () => {
    const members = withMembers(new Set(), ['a', 'b']);
    expect(withMembers(members, ['b', 'a'])).toBe(members);
    expect([...withMembers(members, ['b', 'c'])]).toEqual(['a', 'b', 'c']);
  });

  it('keeps 5,000 help desks in order as updates move them', () => {
    const desks = Array.from({ length: 5000 }, (_, i) => helpDesk(`d${String(i).padStart(4, '0')}`, at(i % 60, i)));
    let index = mergeHelpDesks(new Map(), desks);
    index = upsertHelpDesk(index, helpDesk('d0000', at(59, 999_999)));
    const order = uuids(index);
    expect(order).toHaveLength(5000);
    expect(order[0]).toBe('d0000');
    const activity = order.map((uuid) => index.get(uuid)?.updated_at ?? '');
    expect(activity.slice(1).every((updatedAt, i) => updatedAt <= (activity[i] as string))).toBe(true);
  });
});
