import { useSignal } from '@preact/signals';
import type { HelpDeskJson } from '@helpdesk/shared';
import { statusOf, type StatusFilter } from '../state/help-desk-list';
import { unreadCount } from '../state/unread';
import type { Workspace } from '../stores/workspace';
import { messageTime } from '../format';

// Rendering thousands of rows at once is what makes long lists slow: show a slice, grow it on scroll.
const SLICE = 100;

function preview(desk: HelpDeskJson): string {
  const last = desk.last_message;
  if (!last) return 'No messages yet';
  const text = last.message !== '' ? last.message : last.file ? 'File' : '';
  return last.type === 'sent' ? `You: ${text}` : text;
}

export function HelpDeskList({ workspace }: { workspace: Workspace }) {
  const store = workspace.helpDesks;
  const shown = useSignal(SLICE);
  const desks = store.visible.value;
  const slice = desks.slice(0, shown.value);
  const unread = store.unread.value;

  const more = () => {
    if (shown.value < desks.length) shown.value += SLICE;
    else void store.loadMore();
  };
  const onScroll = (event: Event) => {
    const list = event.currentTarget as HTMLElement;
    if (list.scrollTop + list.clientHeight >= list.scrollHeight - 200) more();
  };

  return (
    <nav class="help-desks" aria-label="Help desks">
      <div class="list-tools">
        <input
          type="search"
          aria-label="Search by name or phone"
          placeholder="Search by name or phone"
          value={store.query.value}
          onInput={(event) => {
            store.query.value = event.currentTarget.value;
            shown.value = SLICE;
          }}
        />
        <label class="filter">
          <span>Show</span>
          <select
            value={store.status.value}
            onChange={(event) => {
              store.setStatus(event.currentTarget.value as StatusFilter);
              shown.value = SLICE;
            }}
          >
            <option value="open">Open</option>
            <option value="closed">Closed</option>
            <option value="all">All</option>
          </select>
        </label>
      </div>
      {store.error.value && (
        <p class="error" role="alert">
          {store.error.value}
        </p>
      )}
      <ul class="desk-list" onScroll={onScroll}>
        {slice.map((desk) => {
          const count = unreadCount(unread, desk.uuid);
          const selected = store.selected.value === desk.uuid;
          return (
            <li key={desk.uuid}>
              <button
                type="button"
                class={`desk${selected ? ' selected' : ''}${count > 0 ? ' unread' : ''}`}
                aria-current={selected ? 'true' : undefined}
                onClick={() => void workspace.open(desk.uuid)}
              >
                <span class="desk-top">
                  <span class="client-name">{desk.client.name}</span>
                  {desk.last_message && <time class="when">{messageTime(desk.last_message.created_at)}</time>}
                </span>
                <span class="desk-middle">
                  <span class="phone">{desk.client.phone}</span>
                  <span class={`badge ${statusOf(desk)}`}>{statusOf(desk) === 'open' ? 'Open' : 'Closed'}</span>
                </span>
                <span class="desk-bottom">
                  <span class="preview">{preview(desk)}</span>
                  {count > 0 && (
                    <span class="unread-count" aria-label={`${count} unread`}>
                      {count}
                    </span>
                  )}
                </span>
              </button>
            </li>
          );
        })}
        {desks.length === 0 && !store.loading.value && <li class="empty">No help desks here.</li>}
      </ul>
      {(shown.value < desks.length || store.hasMore.value) && (
        <button type="button" class="more" onClick={more} disabled={store.loading.value}>
          {store.loading.value ? 'Loading…' : 'Load more help desks'}
        </button>
      )}
    </nav>
  );
}
