import { batch, signal } from '@preact/signals';
import type { HelpDeskJson } from '@helpdesk/shared';
import { errorText } from '../api/backend';

/**
 * One walk through a list of help desks, page after page (the full list, or a search's results):
 * whether a page is on its way, whether more follow, the last error. Starting again drops whatever
 * the previous walk still had on its way.
 */
export class HelpDeskPages {
  readonly loading = signal(false);
  readonly hasMore = signal(false);
  readonly error = signal<string | undefined>(undefined);

  private pages: AsyncIterator<HelpDeskJson[]> | undefined;
  private generation = 0;

  constructor(
    private readonly pageSize: number,
    /** Called with each page of the current walk, in a batch with the walk's own signals. */
    private readonly onPage: (page: readonly HelpDeskJson[]) => void,
  ) {}

  /** A new walk from its first page. */
  async start(pages: AsyncIterator<HelpDeskJson[]>): Promise<void> {
    const generation = ++this.generation;
    this.pages = pages;
    await this.next(generation);
  }

  async more(): Promise<void> {
    if (this.loading.value || !this.hasMore.value) return;
    await this.next(this.generation);
  }

  private async next(generation: number): Promise<void> {
    const pages = this.pages;
    if (!pages) return;
    this.loading.value = true;
    try {
      const page = await pages.next();
      if (generation !== this.generation) return;
      batch(() => {
        this.error.value = undefined;
        // A page shorter than asked is the last one, whether or not the api links another.
        this.hasMore.value = page.done !== true && page.value.length >= this.pageSize;
        if (page.done !== true) this.onPage(page.value);
      });
    } catch (error) {
      if (generation === this.generation) this.error.value = errorText(error);
    } finally {
      if (generation === this.generation) this.loading.value = false;
    }
  }
}
