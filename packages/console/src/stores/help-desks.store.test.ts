import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HelpDeskJson } from '@helpdesk/shared';
import { at, helpDesk } from '../state/test-objects';
import { FakeBackend } from './fake-backend';
import { HELP_DESK_PAGE_SIZE, HelpDesksStore, SEARCH_DELAY_MS } from './help-desks.store';
import { memoryStorage } from './storage';

/** Help desks n = first…last, help desk n last active at second 60 - n (the list shows 1, 2, 3 …). */
const desks = (prefix: string, first: number, last: number, name = 'Client'): HelpDeskJson[] =>
  Array.from({ length: last - first + 1 }, (_, i) => {
    const n = first + i;
    return helpDesk(`${prefix}${n}`, at(59, 999_999 - n), {
      client: { ...helpDesk('x', at(0)).client, uuid: `client-${prefix}${n}`, name: `${name} ${prefix}${n}` },
    });
  });

const shown = (store: HelpDesksStore) => store.visible.value.map((desk) => desk.uuid);

/** Lets answered pages reach the store (timers are fake here). */
const settle = () => vi.advanceTimersByTimeAsync(0);

function storeWith(backend: FakeBackend): HelpDesksStore {
  return new HelpDesksStore(backend.asBackend(), 'acme', memoryStorage());
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('searching the help desks', () => {
  it('asks the server once typing pauses, with the trimmed text, and shows only its answer', async () => {
    const backend = new FakeBackend();
    const list = desks('d', 1, HELP_DESK_PAGE_SIZE);
    const found = desks('far', 4000, 4001, 'Ana');
    backend.helpDeskPagesFor = ({ search }) => (search === undefined ? [list] : [found]);
    const store = storeWith(backend);
    await store.loadFirstPage();

    for (const text of ['a', 'an', ' ana ']) {
      store.setQuery(text);
      await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS - 1);
    }
    expect(backend.helpDeskRequests.map((r) => r.search)).toEqual([undefined]);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.helpDeskRequests.map((r) => [r.search, r.status, r.limit])).toEqual([
      [undefined, 'open', HELP_DESK_PAGE_SIZE],
      ['ana', 'open', HELP_DESK_PAGE_SIZE],
    ]);
    expect(store.query.value).toBe(' ana ');
    expect(store.search.value).toBe('ana');
    expect(shown(store)).toEqual(['far4000', 'far4001']);
    // Spaces around what was already searched change nothing.
    store.setQuery('ana  ');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(backend.helpDeskRequests).toHaveLength(2);
  });

  it("pages through the search's results; emptied, the whole list is back as it was, without asking again", async () => {
    const backend = new FakeBackend();
    const list = [desks('d', 1, 50), desks('d', 51, 100)];
    const results = [desks('r', 1, 50), desks('r', 51, 60)];
    backend.helpDeskPagesFor = ({ search }) => (search === undefined ? list : results);
    const store = storeWith(backend);
    await store.loadFirstPage();
    await store.loadMore();
    await store.loadMore();
    expect([store.visible.value.length, store.hasMore.value]).toEqual([100, false]);

    store.setQuery('client r');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect([store.visible.value.length, store.hasMore.value]).toEqual([50, true]);
    await store.loadMore();
    expect([store.visible.value.length, store.hasMore.value]).toEqual([60, false]);
    expect(shown(store)).toEqual(results.flat().map((desk) => desk.uuid));

    const asked = backend.helpDeskRequests.length;
    store.setQuery('');
    expect(shown(store)).toEqual(list.flat().map((desk) => desk.uuid));
    expect([store.search.value, store.hasMore.value, backend.helpDeskRequests.length]).toEqual(['', false, asked]);
  });

  it('stays live: a help desk that matches moves to the top of the results, one that does not stays out', async () => {
    const backend = new FakeBackend();
    backend.helpDeskPagesFor = ({ search }) => (search === undefined ? [desks('d', 1, 3)] : [desks('a', 1, 2, 'Ana')]);
    const store = storeWith(backend);
    await store.loadFirstPage();
    store.setQuery('ana');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(shown(store)).toEqual(['a1', 'a2']);

    // Ana a9 (far down, never loaded) writes; then someone else; then a new help desk of a Mariana opens.
    const [far] = desks('a', 9, 9, 'Ana');
    store.applyHelpDesk({ ...far!, updated_at: at(60, 1) });
    store.applyHelpDesk({ ...desks('d', 3, 3)[0]!, updated_at: at(60, 2) });
    store.applyHelpDesk(helpDesk('new', at(60, 3), { client: { ...far!.client, uuid: 'c', name: 'MARIANA' } }));
    expect(shown(store)).toEqual(['new', 'a9', 'a1', 'a2']);
    // The whole list: what it loaded and what changed live, not the search's other results.
    store.setQuery('');
    expect(shown(store)).toEqual(['new', 'd3', 'a9', 'd1', 'd2']);
  });

  it("drops a search's answer that comes after the agent searched for something else", async () => {
    const backend = new FakeBackend();
    const answers: Array<(page: IteratorResult<HelpDeskJson[]>) => void> = [];
    backend.helpDeskPages = ((_organization: string, options: { search: string | undefined }) => {
      backend.helpDeskRequests.push(options as never);
      return { next: () => new Promise((resolve) => answers.push(resolve)) };
    }) as never;
    const store = storeWith(backend);
    store.setQuery('first');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    store.setQuery('second');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(store.loading.value).toBe(true);
    answers[1]!({ done: false, value: desks('second', 1, 1) });
    answers[0]!({ done: false, value: desks('first', 1, 1) });
    await settle();
    expect([shown(store), store.loading.value]).toEqual([['second1'], false]);
  });

  it('searches again under a new status filter', async () => {
    const backend = new FakeBackend();
    backend.helpDeskPagesFor = ({ search, status }) =>
      search === undefined ? [] : [desks(status ?? 'all', 1, 1).map((desk) => ({ ...desk, status: status ?? 'open' }))];
    const store = storeWith(backend);
    store.setQuery('x');
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    store.setStatus('closed');
    await settle();
    expect(backend.helpDeskRequests.map((r) => `${r.search}:${r.status}`)).toEqual([
      'x:open',
      'undefined:closed',
      'x:closed',
    ]);
    expect(shown(store)).toEqual(['closed1']);
  });
});
