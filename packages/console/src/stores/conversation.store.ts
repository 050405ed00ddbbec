import { batch, computed, signal } from '@preact/signals';
import type { MessageJson } from '@helpdesk/shared';
import { errorText, type Backend } from '../api/backend';
import {
  discardSend,
  emptyConversation,
  receiveMessage,
  receivePage,
  retrySend,
  sendFailed,
  sendSucceeded,
  startSend,
  timeline,
  type Conversation,
  type PendingSend,
} from '../state/conversation';
import { randomId } from './ids';

export const HISTORY_PAGE_SIZE = 50;

/** The open help desk's conversation: history in pages (newest first), live events, sends. */
export class ConversationStore {
  readonly conversation = signal<Conversation | undefined>(undefined);
  /** An older page is on its way (the view shows it at the top; not the newest page's load). */
  readonly loadingOlder = signal(false);
  /** The server may have messages older than those loaded. */
  readonly hasOlder = signal(false);
  readonly error = signal<string | undefined>(undefined);
  readonly items = computed(() => (this.conversation.value ? timeline(this.conversation.value) : []));

  private pages: AsyncIterator<MessageJson[]> | undefined;
  private generation = 0;
  /** Uuids of messages this browser sent: a notification is never for them. */
  readonly ownMessages = new Set<string>();

  constructor(private readonly backend: Backend) {}

  get helpDesk(): string | undefined {
    return this.conversation.value?.helpDesk;
  }

  async open(helpDesk: string): Promise<void> {
    if (this.helpDesk === helpDesk) return;
    batch(() => {
      this.conversation.value = emptyConversation(helpDesk);
      this.error.value = undefined;
      this.hasOlder.value = false;
    });
    await this.loadNewest();
  }

  close(): void {
    this.generation++;
    batch(() => {
      this.conversation.value = undefined;
      this.hasOlder.value = false;
      this.loadingOlder.value = false;
    });
    this.pages = undefined;
  }

  /**
   * The newest page (on open, and again after a resync, merged by id). Older pages are then walked
   * from there again, so a gap the resync left between the two is filled as the agent scrolls up.
   */
  async loadNewest(): Promise<void> {
    const helpDesk = this.helpDesk;
    if (helpDesk === undefined) return;
    const generation = ++this.generation;
    this.pages = this.backend.historyPages(helpDesk, { limit: HISTORY_PAGE_SIZE });
    // An older page still on its way belongs to the walk just replaced: its answer is dropped.
    this.loadingOlder.value = false;
    await this.nextPage(generation);
  }

  /** The page before the oldest loaded (scrolling up, or the "Load older messages" button). */
  async loadOlder(): Promise<void> {
    if (this.loadingOlder.value || !this.hasOlder.value) return;
    const generation = this.generation;
    this.loadingOlder.value = true;
    try {
      await this.nextPage(generation);
    } finally {
      if (generation === this.generation) this.loadingOlder.value = false;
    }
  }

  private async nextPage(generation: number): Promise<void> {
    const pages = this.pages;
    if (!pages) return;
    try {
      const page = await pages.next();
      if (generation !== this.generation) return;
      const current = this.conversation.value;
      batch(() => {
        // A page shorter than asked is the last one, whether or not the api links another.
        this.hasOlder.value = page.done !== true && page.value.length >= HISTORY_PAGE_SIZE;
        if (page.done !== true && current) this.conversation.value = receivePage(current, page.value);
      });
    } catch (error) {
      if (generation === this.generation) this.error.value = errorText(error);
    }
  }

  /** new_message and update_message, of any help desk (others are ignored). */
  applyMessage(message: MessageJson): void {
    const current = this.conversation.value;
    if (current) this.conversation.value = receiveMessage(current, message, 'event');
  }

  async send(text: string, file: File | undefined): Promise<void> {
    const current = this.conversation.value;
    if (!current) return;
    const send: PendingSend = {
      localId: randomId(),
      text,
      file,
      idempotencyKey: randomId(),
      state: 'sending',
      error: undefined,
    };
    this.conversation.value = startSend(current, send);
    await this.attempt(current.helpDesk, send);
  }

  /** Sends a failed message again with the same Idempotency-Key: the server creates it at most once. */
  async retry(localId: string): Promise<void> {
    const current = this.conversation.value;
    const send = current?.pending.find((candidate) => candidate.localId === localId);
    if (!current || !send || send.state !== 'failed') return;
    this.conversation.value = retrySend(current, localId);
    await this.attempt(current.helpDesk, send);
  }

  discard(localId: string): void {
    const current = this.conversation.value;
    if (current) this.conversation.value = discardSend(current, localId);
  }

  private async attempt(helpDesk: string, send: PendingSend): Promise<void> {
    try {
      const message = await this.backend.sendMessage({
        helpDesk,
        message: send.text,
        file: send.file,
        idempotencyKey: send.idempotencyKey,
      });
      this.ownMessages.add(message.uuid);
      const current = this.conversation.value;
      if (current?.helpDesk === helpDesk) this.conversation.value = sendSucceeded(current, send.localId, message);
    } catch (error) {
      const current = this.conversation.value;
      if (current?.helpDesk === helpDesk) this.conversation.value = sendFailed(current, send.localId, errorText(error));
    }
  }
}
