import { describe, expect, it } from 'vitest';
import type { MessageJson } from '@helpdesk/shared';
import { at, message } from '../state/test-objects';
import { ConversationStore, HISTORY_PAGE_SIZE } from './conversation.store';
import { FakeBackend } from './fake-backend';

/** Messages first…last of desk-1, one a second, as history pages hold them (oldest first). */
const messages = (first: number, last: number): MessageJson[] =>
  Array.from({ length: last - first + 1 }, (_, i) => {
    const n = first + i;
    return message({ uuid: `m${n}`, message: `message ${n}`, created_at: at(0, n), updated_at: at(0, n) });
  });

const texts = (store: ConversationStore) =>
  store.items.value.map((item) => (item.kind === 'message' ? item.message.message : `pending ${item.send.text}`));

/** History pages the test hands out one by one, to see what the store does while one is on its way. */
function heldPages(backend: FakeBackend) {
  const waiting: Array<(page: IteratorResult<MessageJson[]>) => void> = [];
  const asked: string[] = [];
  backend.historyPages = ((helpDesk: string) => ({
    next: () => {
      asked.push(helpDesk);
      return new Promise<IteratorResult<MessageJson[]>>((resolve) => waiting.push(resolve));
    },
  })) as never;
  return {
    asked,
    answer: (page: MessageJson[] | undefined) =>
      waiting.shift()?.(page === undefined ? { done: true, value: undefined } : { done: false, value: page }),
  };
}

describe('a conversation’s history in pages', () => {
  it('opens on the newest page and walks older pages in order, each message once, to the first', async () => {
    const backend = new FakeBackend();
    // 120 messages: the newest 50, then 50 before, then the first 20 (the api pages by id).
    backend.historyServed = [messages(71, 120), messages(21, 70), messages(1, 20)];
    const store = new ConversationStore(backend.asBackend());
    await store.open('desk-1');
    expect(texts(store)).toEqual(messages(71, 120).map((m) => m.message));
    expect(store.hasOlder.value).toBe(true);

    await store.loadOlder();
    expect(store.hasOlder.value).toBe(true);
    await store.loadOlder();
    expect(texts(store)).toEqual(messages(1, 120).map((m) => m.message));
    // A page shorter than asked was the first one: nothing older to ask for.
    expect(store.hasOlder.value).toBe(false);
    expect(store.loadingOlder.value).toBe(false);
  });

  it('asks for one older page at a time, however often scrolling asks, and says it is loading', async () => {
    const backend = new FakeBackend();
    const pages = heldPages(backend);
    const store = new ConversationStore(backend.asBackend());
    const opening = store.open('desk-1');
    // The newest page is not an older one: no "loading older" line while it comes.
    expect(store.loadingOlder.value).toBe(false);
    pages.answer(messages(51, 100));
    await opening;

    const first = store.loadOlder();
    const again = store.loadOlder();
    expect(store.loadingOlder.value).toBe(true);
    expect(pages.asked).toHaveLength(2);
    pages.answer(messages(1, HISTORY_PAGE_SIZE));
    await Promise.all([first, again]);
    expect(store.loadingOlder.value).toBe(false);
    expect(texts(store)).toEqual(messages(1, 100).map((m) => m.message));
  });

  it('drops an older page that arrives after the agent opened another help desk', async () => {
    const backend = new FakeBackend();
    const pages = heldPages(backend);
    const store = new ConversationStore(backend.asBackend());
    const opening = store.open('desk-1');
    pages.answer(messages(51, 100));
    await opening;
    const older = store.loadOlder();

    const other = store.open('desk-2');
    // What desk-1 could do is not desk-2's: no older page offered before its own newest arrives.
    expect(store.hasOlder.value).toBe(false);
    expect(store.loadingOlder.value).toBe(false);
    pages.answer(messages(1, 50));
    await older;
    pages.answer([message({ uuid: 'x1', help_desk: 'desk-2', message: 'hello from desk 2' })]);
    await other;
    expect(pages.asked).toEqual(['desk-1', 'desk-1', 'desk-2']);
    expect(texts(store)).toEqual(['hello from desk 2']);
    expect(store.hasOlder.value).toBe(false);
  });
});
