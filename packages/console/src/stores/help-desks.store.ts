import { batch, computed, signal } from '@preact/signals';
import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';
import { errorText, type Backend } from '../api/backend';
import {
  mergeHelpDesks,
  upsertHelpDesk,
  visibleHelpDesks,
  type HelpDeskIndex,
  type StatusFilter,
} from '../state/help-desk-list';
import { countFromList, countReceived, markSeen, unreadHelpDesks, type UnreadIndex } from '../state/unread';
import { readJson, type KeyValueStorage } from './storage';

export const HELP_DESK_PAGE_SIZE = 50;

/**
 * The organization's help desks: loaded in pages, kept live by events, filtered and searched
 * here; unread counts kept per browser (localStorage) so they survive a reload.
 */
export class HelpDesksStore {
  readonly index = signal<HelpDeskIndex>(new Map());
  readonly status = signal<StatusFilter>('open');
  readonly query = signal('');
  readonly unread = signal<UnreadIndex>({});
  readonly selected = signal<string | undefined>(undefined);
  readonly loading = signal(false);
  readonly hasMore = signal(false);
  readonly error = signal<string | undefined>(undefined);

  readonly visible = computed(() => visibleHelpDesks(this.index.value, this.status.value, this.query.value));
  readonly unreadHelpDesks = computed(() => unreadHelpDesks(this.unread.value));

  private pages: AsyncIterator<HelpDeskJson[]> | undefined;
  private generation = 0;
  private readonly unreadKey: string;

  constructor(
    private readonly backend: Backend,
    readonly organization: string,
    private readonly storage: KeyValueStorage,
  ) {
    this.unreadKey = `helpdesk.console.unread.${organization}`;
    this.unread.value = readJson<UnreadIndex>(storage, this.unreadKey, {});
  }

  /** The first page under the current status filter (again after a filter change or a resync). */
  async loadFirstPage(): Promise<void> {
    const generation = ++this.generation;
    const status = this.status.value;
    this.pages = this.backend.helpDeskPages(this.organization, {
      status: status === 'all' ? undefined : status,
      limit: HELP_DESK_PAGE_SIZE,
    });
    await this.nextPage(generation);
  }

  async loadMore(): Promise<void> {
    if (this.loading.value || !this.hasMore.value) return;
    await this.nextPage(this.generation);
  }

  setStatus(status: StatusFilter): void {
    if (status === this.status.value) return;
    this.status.value = status;
    void this.loadFirstPage();
  }

  private async nextPage(generation: number): Promise<void> {
    const pages = this.pages;
    if (!pages) return;
    this.loading.value = true;
    try {
      const page = await pages.next();
      if (generation !== this.generation) return;
      batch(() => {
        this.error.value = undefined;
        // A page shorter than asked is the last one, whether or not the api links another.
        this.hasMore.value = page.done !== true && page.value.length >= HELP_DESK_PAGE_SIZE;
        if (page.done !== true) this.merge(page.value);
      });
    } catch (error) {
      if (generation === this.generation) this.error.value = errorText(error);
    } finally {
      if (generation === this.generation) this.loading.value = false;
    }
  }

  private merge(page: readonly HelpDeskJson[]): void {
    this.index.value = mergeHelpDesks(this.index.value, page);
    this.setUnread(countFromList(this.unread.value, page, this.selected.value));
  }

  /** update_helpdesk: a change, or a new help desk; its new activity moves it to the top. */
  applyHelpDesk(desk: HelpDeskJson): void {
    this.index.value = upsertHelpDesk(this.index.value, desk);
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
