import { signal } from '@preact/signals';
import type { Backend, ConnectionState, LiveSubscription, ServerLimits } from '../api/backend';
import { ConversationStore } from './conversation.store';
import { HelpDesksStore } from './help-desks.store';
import type { KeyValueStorage } from './storage';

export interface WorkspaceOptions {
  backend: Backend;
  organization: string;
  /** localStorage: unread counts, the sound setting. */
  storage: KeyValueStorage;
  /** A received message arrived while the agent may not be looking (the sound's trigger). */
  onReceived?: () => void;
  /** The subscription stopped for good (a revoked key): back to sign-in, with these words. */
  onEnded?: (reason: string) => void;
}

const DEFAULT_LIMITS: ServerLimits = { maxFileBytes: 25 * 1024 * 1024, maxMessageChars: 10_000 };

/**
 * One organization worked as an agent: its help desks, the open conversation, and the live
 * connection that feeds both. Events go to the stores here, in one place.
 */
export class Workspace {
  readonly helpDesks: HelpDesksStore;
  readonly conversation: ConversationStore;
  readonly connection = signal<ConnectionState>({ type: 'connecting', attempt: 0 });
  readonly limits = signal<ServerLimits>(DEFAULT_LIMITS);
  private readonly subscription: LiveSubscription;

  constructor(private readonly options: WorkspaceOptions) {
    const { backend, organization, storage } = options;
    this.helpDesks = new HelpDesksStore(backend, organization, storage);
    this.conversation = new ConversationStore(backend);
    // Subscribed before the first page is read: whatever changes meanwhile arrives as an event,
    // and pages and events merge by id, the newer version winning.
    this.subscription = backend.subscribe(organization);
    this.subscription.on('new_message', ({ data }) => {
      this.helpDesks.applyNewMessage(data);
      this.conversation.applyMessage(data);
      if (data.help_desk === this.conversation.helpDesk) this.helpDesks.markSeen(data.help_desk, data);
      if (data.type === 'received') this.options.onReceived?.();
    });
    this.subscription.on('update_message', ({ data }) => this.conversation.applyMessage(data));
    this.subscription.on('update_helpdesk', ({ data }) => this.helpDesks.applyHelpDesk(data));
    // Events were lost beyond what the server keeps: the first page and the open conversation
    // are read again and merged, so the screen is right again.
    this.subscription.on('resync', () => void this.refetch());
    this.subscription.on('state', (state) => {
      this.connection.value = state;
      if (state.type === 'closed' && state.reason !== 'closed') {
        this.options.onEnded?.(
          state.reason === 'refused'
            ? state.detail
            : 'This API key was revoked or is not valid any more. Sign in again.',
        );
      }
    });
    void backend.limits().then(
      (limits) => (this.limits.value = limits),
      () => undefined,
    );
    void this.helpDesks.loadFirstPage();
  }

  async refetch(): Promise<void> {
    await Promise.all([this.helpDesks.loadFirstPage(), this.conversation.loadNewest()]);
  }

  async open(helpDesk: string | undefined): Promise<void> {
    this.helpDesks.select(helpDesk);
    if (helpDesk === undefined) {
      this.conversation.close();
      return;
    }
    await this.conversation.open(helpDesk);
    const newest = this.conversation.items.value.at(-1);
    if (newest?.kind === 'message') this.helpDesks.markSeen(helpDesk, newest.message);
  }

  stop(): void {
    this.subscription.close();
    this.helpDesks.stop();
  }
}
