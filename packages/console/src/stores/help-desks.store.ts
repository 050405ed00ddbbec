import { batch, computed, signal, type Signal } from '@preact/signals';
import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';
import { clientMatchesSearch } from '@helpdesk/shared/client-contract';
import type { Backend } from '../api/backend';
import {
  mergeHelpDesks,
  upsertHelpDesk,
  visibleHelpDesks,
  withMembers,
  type HelpDeskIndex,
  type Members,
  type StatusFilter,
} from '../state/help-desk-list';
import { countFromList, countReceived, markSeen, unreadHelpDesks, type UnreadIndex } from '../state/unread';
import { HelpDeskPages } from './help-desk-pages';
import { readJson, type KeyValueStorage } from './storage';

export const HELP_DESK_PAGE_SIZE = 50;
/** How long typing pauses before the search goes to the server. */
export const SEARCH_DELAY_MS = 250;

/**
 * The organization's help desks: loaded in pages, kept live by events, filtered by status here and
 * searched by the server (in pages of its own); unread counts kept per browser (localStorage) so
 * they survive a reload.
 */
export class HelpDesksStore {
  /** Every help desk known here, its newest version: the whole list's, the search's, the live ones. */
  readonly index = signal<HelpDeskIndex>(new Map());
  readonly status = signal<StatusFilter>('open');
  /** What the search box holds. */
  readonly query = signal('');
  /** The search the list shows (the query, trimmed, once typing paused); empty: the whole list. */
  readonly search = signal('');
  readonly unread = signal<UnreadIndex>({});
  readonly selected = signal<string | undefined>(undefined);

  /** The whole list: what its pages answered, and every help desk that changed live since. */
  private readonly listed = signal<Members>(new Set());
  /** The search's results: what its pages answered, and the help desks that matched it live since. */
  private readonly found = signal<Members>(new Set());
  /** The two walks, each with its own pages (the whole list's under the status filter, and the search's). */
  private readonly listPages = new HelpDeskPages(HELP_DESK_PAGE_SIZE, (page) => this.merge(page, this.listed));
  private readonly searchPages = new HelpDeskPages(HELP_DESK_PAGE_SIZE, (page) => this.merge(page, this.found));
  private readonly pages = computed(() => (this.search.value === '' ? this.listPages : this.searchPages));

  readonly loading = computed(() => this.pages.value.loading.value);
  readonly hasMore = computed(() => this.pages.value.hasMore.value);
  readonly error = computed(() => this.pages.value.error.value);
  readonly visible = computed(() =>
    visibleHelpDesks(
      this.index.value,
      this.search.value === '' ? this.listed.value : this.found.value,
      this.status.value,
    ),
  );
  readonly unreadHelpDesks = computed(() => unreadHelpDesks(this.unread.value));

  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unreadKey: string;

  constructor(
    private readonly backend: Backend,
    readonly organization: string,
    private readonly storage: KeyValueStorage,
  ) {
    this.unreadKey = `helpdesk.console.unread.${organization}`;
    this.unread.value = readJson<UnreadIndex>(storage, this.unreadKey, {});
  }

  /**
   * The first page of the list under the current status filter, and of the search's results when
   * there is one (again after a resync: merged with what is loaded).
   */
  async loadFirstPage(): Promise<void> {
    await Promise.all([
      this.listPages.start(this.pagesOf('')),
      this.search.value === '' ? undefined : this.searchPages.start(this.pagesOf(this.search.value)),
    ]);
  }

  /** The next page of what the list shows: the whole list's, or the search's. */
  async loadMore(): Promise<void> {
    await this.pages.value.more();
  }

  setStatus(status: StatusFilter): void {
    if (status === this.status.value) return;
    batch(() => {
      this.status.value = status;
      this.found.value = new Set();
    });
    void this.loadFirstPage();
  }

  /**
   * The search box changed: the search goes to the server once typing pauses. Emptied, the whole
   * list is back at once, as loaded (its walk went on being kept live meanwhile).
   */
  setQuery(text: string): void {
    this.query.value = text;
    clearTimeout(this.searchTimer);
    const search = text.trim();
    if (search === '') this.applySearch('');
    else this.searchTimer = setTimeout(() => this.applySearch(search), SEARCH_DELAY_MS);
  }

  /** No search waits any more (the workspace is closed). */
  stop(): void {
    clearTimeout(this.searchTimer);
  }

  private applySearch(search: string): void {
    if (search === this.search.value) return;
    batch(() => {
      this.search.value = search;
      this.found.value = new Set();
    });
    if (search !== '') void this.searchPages.start(this.pagesOf(search));
  }

  private pagesOf(search: string): AsyncIterator<HelpDeskJson[]> {
    const status = this.status.value;
    return this.backend.helpDeskPages(this.organization, {
      status: status === 'all' ? undefined : status,
      limit: HELP_DESK_PAGE_SIZE,
      search: search === '' ? undefined : search,
    });
  }

  private merge(page: readonly HelpDeskJson[], members: Signal<Members>): void {
    this.index.value = mergeHelpDesks(this.index.value, page);
    members.value = withMembers(
      members.value,
      page.map((desk) => desk.uuid),
    );
    this.setUnread(countFromList(this.unread.value, page, this.selected.value));
  }

  /**
   * update_helpdesk: a change, or a new help desk; its new activity moves it to the top, of the
   * search's results too when its client matches the search.
   */
  applyHelpDesk(desk: HelpDeskJson): void {
    batch(() => {
      this.index.value = upsertHelpDesk(this.index.value, desk);
      this.listed.value = withMembers(this.listed.value, [desk.uuid]);
      const search = this.search.value;
      if (search !== '' && clientMatchesSearch(desk.client, search))
        this.found.value = withMembers(this.found.value, [desk.uuid]);
    });
  }

  /** new_message: counts as unread when the client wrote it and the help desk is not open. */
  applyNewMessage(message: MessageJson): void {
    this.setUnread(countReceived(this.unread.value, message, this.selected.value));
  }

  select(helpDesk: string | undefined): void {
    this.selected.value = helpDesk;
    if (helpDesk !== undefined) this.markSeen(helpDesk, this.index.value.get(helpDesk)?.last_message);
  }

  markSeen(helpDesk: string, newest: MessageJson | null | undefined): void {
    this.setUnread(markSeen(this.unread.value, helpDesk, newest));
  }

  private setUnread(unread: UnreadIndex): void {
    if (unread === this.unread.value) return;
    this.unread.value = unread;
    this.storage.setItem(this.unreadKey, JSON.stringify(unread));
  }
}
