import { useSignal } from '@preact/signals';
import { Component } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { HelpDeskJson } from '@helpdesk/shared';
import { HELP_DESK_SEARCH_MAX_LENGTH } from '@helpdesk/shared/client-contract';
import { statusOf, type StatusFilter } from '../state/help-desk-list';
import { nearEnd, rowSegments, rowWindow } from '../state/row-window';
import { unreadCount } from '../state/unread';
import type { Workspace } from '../stores/workspace';
import { messageTime } from '../format';

// Thousands of help desks stay smooth by rendering only the rows in view (plus a few either
// side); the rest of the list is empty space of the right height. Rows are all one height (CSS
// .desk), measured once one is on screen; this is a first guess until then.
const ESTIMATED_ROW_PX = 75;
const OVERSCAN_ROWS = 8;
/** The next page is asked for while this many loaded rows are still below the view. */
const LOAD_AHEAD_ROWS = 30;

function preview(desk: HelpDeskJson): string {
  const last = desk.last_message;
  if (!last) return 'No messages yet';
  const text = last.message !== '' ? last.message : last.file ? 'File' : '';
  return last.type === 'sent' ? `You: ${text}` : text;
}

interface DeskRowProps {
  desk: HelpDeskJson;
  /** 1-based, and the list's length: screen readers announce "12 of 5,000". */
  position: number;
  total: number;
  unread: number;
  selected: boolean;
  workspace: Workspace;
}

/**
 * One help desk. Its props are plain values (the help desk object is replaced when it changes), so
 * a row re-renders only when what it shows changed: an event touches one row, not the window.
 */
class DeskRow extends Component<DeskRowProps> {
  override shouldComponentUpdate(next: DeskRowProps): boolean {
    const props = this.props;
    return (Object.keys(next) as Array<keyof DeskRowProps>).some((name) => next[name] !== props[name]);
  }

  override render() {
    const { desk, position, total, unread, selected, workspace } = this.props;
    const status = statusOf(desk);
    return (
      <li aria-posinset={position} aria-setsize={total} data-uuid={desk.uuid}>
        <button
          type="button"
          class={`desk${selected ? ' selected' : ''}${unread > 0 ? ' unread' : ''}`}
          aria-current={selected ? 'true' : undefined}
          onClick={() => void workspace.open(desk.uuid)}
        >
          <span class="desk-top">
            <span class="client-name">{desk.client.name}</span>
            {desk.last_message && <time class="when">{messageTime(desk.last_message.created_at)}</time>}
          </span>
          <span class="desk-middle">
            <span class="phone">{desk.client.phone}</span>
            <span class={`badge ${status}`}>{status === 'open' ? 'Open' : 'Closed'}</span>
          </span>
          <span class="desk-bottom">
            <span class="preview">{preview(desk)}</span>
            {unread > 0 && (
              <span class="unread-count" aria-label={`${unread} unread`}>
                {unread}
              </span>
            )}
          </span>
        </button>
      </li>
    );
  }
}

/**
 * The rows not rendered, above or below the window: empty space of their height, so the
 * scrollbar is the whole list's. (Inside the list, not padding on it: padding would keep the list
 * from shrinking to the pane.)
 */
function Spacer({ height }: { height: number }) {
  return height > 0 ? <li class="spacer" aria-hidden="true" style={{ height: `${height}px` }} /> : null;
}

export function HelpDeskList({ workspace }: { workspace: Workspace }) {
  const store = workspace.helpDesks;
  const desks = store.visible.value;
  const unread = store.unread.value;
  const selected = store.selected.value;
  const loading = store.loading.value;
  const hasMore = store.hasMore.value;
  const search = store.search.value;
  const list = useRef<HTMLUListElement>(null);
  const view = useSignal({ top: 0, height: window.innerHeight });
  const rowHeight = useSignal(ESTIMATED_ROW_PX);
  /** The help desk whose row has the keyboard's focus, if one has. */
  const focused = useSignal<string | undefined>(undefined);
  const range = rowWindow({
    scrollTop: view.value.top,
    viewportHeight: view.value.height,
    rowHeight: rowHeight.value,
    rowCount: desks.length,
    overscan: OVERSCAN_ROWS,
  });
  const focusedAt = focused.value === undefined ? -1 : desks.findIndex((desk) => desk.uuid === focused.value);
  /**
   * The focused help desk and its row's place, kept while its row is removed under the focus
   * (closed by someone else while Open is shown), so the focus can go to the row in its place.
   */
  const lastFocus = useRef<{ uuid: string; index: number } | undefined>(undefined);
  if (focused.value !== undefined && focusedAt >= 0) lastFocus.current = { uuid: focused.value, index: focusedAt };
  /** The help desk whose row is to take the focus once rendered. */
  const focusNext = useRef<string | undefined>(undefined);
  const searchBox = useRef<HTMLInputElement>(null);

  const measure = () => {
    const element = list.current;
    if (element) view.value = { top: element.scrollTop, height: element.clientHeight };
  };
  const toTop = () => {
    if (list.current) list.current.scrollTop = 0;
    measure();
  };

  useEffect(() => {
    const element = list.current;
    if (!element) return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    const onFocusIn = (event: FocusEvent) => {
      const row = (event.target as Element).closest<HTMLElement>('li[data-uuid]');
      focused.value = row?.dataset.uuid;
    };
    const onFocusOut = (event: FocusEvent) => {
      if (element.contains(event.relatedTarget as Node | null)) return;
      focused.value = undefined;
      // Focus that left on purpose is not followed. A row removed under the focus blurs while
      // still in the document, and the render that removed it runs its layout effects (below)
      // before this microtask: only a row still there afterwards was left on purpose.
      const row = event.target as Node;
      queueMicrotask(() => {
        if (row.isConnected) lastFocus.current = undefined;
      });
    };
    element.addEventListener('focusin', onFocusIn);
    element.addEventListener('focusout', onFocusOut);
    return () => {
      observer.disconnect();
      element.removeEventListener('focusin', onFocusIn);
      element.removeEventListener('focusout', onFocusOut);
    };
  }, []);

  useLayoutEffect(() => {
    const row = list.current?.querySelector<HTMLElement>(':scope > li[aria-posinset]');
    const height = row?.getBoundingClientRect().height ?? 0;
    if (height > 0 && height !== rowHeight.value) rowHeight.value = height;
  });

  // The focused help desk left the list: the keyboard user stays where they were, on the row
  // now in its place (or the one before, at the end; the search box when none is left), instead
  // of being sent back to the top of the page.
  useLayoutEffect(() => {
    const last = lastFocus.current;
    if (last === undefined || desks.some((desk) => desk.uuid === last.uuid)) return;
    lastFocus.current = undefined;
    const active = document.activeElement;
    if (active !== null && active !== document.body) return;
    const next = desks[Math.min(last.index, desks.length - 1)];
    if (next === undefined) {
      searchBox.current?.focus();
      return;
    }
    // Its row may be outside the rendered window: made the focused one, it is rendered, then focused.
    focusNext.current = next.uuid;
    focused.value = next.uuid;
  });
  useLayoutEffect(() => {
    const uuid = focusNext.current;
    if (uuid === undefined) return;
    const row = list.current?.querySelector<HTMLElement>(`li[data-uuid="${CSS.escape(uuid)}"] button`);
    if (!row) return;
    focusNext.current = undefined;
    row.focus();
  });

  // Another search (or none) is another list: it starts at its top.
  useEffect(toTop, [search]);

  // Scrolling near the end of what is loaded loads the next page, of the list or of the search's
  // results (the button below is the same for the keyboard).
  useEffect(() => {
    if (hasMore && !loading && nearEnd(range, desks.length, LOAD_AHEAD_ROWS)) void store.loadMore();
  }, [search, hasMore, loading, range.end, desks.length]);

  return (
    <nav class="help-desks" aria-label="Help desks">
      <div class="list-tools">
        <input
          ref={searchBox}
          type="search"
          aria-label="Search by name or phone"
          placeholder="Search by name or phone"
          maxLength={HELP_DESK_SEARCH_MAX_LENGTH}
          value={store.query.value}
          onInput={(event) => store.setQuery(event.currentTarget.value)}
        />
        <label class="filter">
          <span>Show</span>
          <select
            value={store.status.value}
            onChange={(event) => {
              store.setStatus(event.currentTarget.value as StatusFilter);
              toTop();
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
      <ul class="desk-list" ref={list} onScroll={measure} aria-busy={loading ? 'true' : undefined}>
        {/* One flat list of keyed children: a row keeps its element (and the focus) as the window moves. */}
        {rowSegments(range, focusedAt < 0 ? undefined : focusedAt, desks.length).flatMap((segment) =>
          segment.kind === 'gap'
            ? [<Spacer key={segment.key} height={segment.rows * rowHeight.value} />]
            : desks
                .slice(segment.start, segment.end)
                .map((desk, offset) => (
                  <DeskRow
                    key={desk.uuid}
                    desk={desk}
                    position={segment.start + offset + 1}
                    total={desks.length}
                    unread={unreadCount(unread, desk.uuid)}
                    selected={selected === desk.uuid}
                    workspace={workspace}
                  />
                )),
        )}
        {desks.length === 0 && (
          <li class="empty" role="status">
            {loading
              ? search
                ? 'Searching…'
                : 'Loading help desks…'
              : search
                ? 'No help desk matches this search.'
                : 'No help desks here.'}
          </li>
        )}
      </ul>
      {hasMore && (
        <button
          type="button"
          class="more"
          aria-disabled={loading ? 'true' : undefined}
          onClick={() => void store.loadMore()}
        >
          {loading ? 'Loading help desks…' : 'Load more help desks'}
        </button>
      )}
    </nav>
  );
}
