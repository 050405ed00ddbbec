import { useSignal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { HelpDeskJson } from '@helpdesk/shared';
import { errorText, type Backend } from '../api/backend';
import { STATUS_LABELS, type TimelineItem } from '../state/conversation';
import { statusOf } from '../state/help-desk-list';
import type { Workspace } from '../stores/workspace';
import { messageTime } from '../format';
import { Composer } from './composer';
import { MessageFile } from './message-file';
import { captureAnchor, restoreAnchor, type ScrollAnchor } from './scroll-anchor';

function Item({ item, backend, workspace }: { item: TimelineItem; backend: Backend; workspace: Workspace }) {
  if (item.kind === 'pending') {
    const { send } = item;
    return (
      <li class={`message sent pending ${send.state}`}>
        {send.text && <p class="text">{send.text}</p>}
        {send.file && <span class="file">{send.file.name}</span>}
        <span class="meta">
          {send.state === 'sending' ? (
            <span class="status">Sending</span>
          ) : (
            <>
              <span class="status failed" role="alert">{`Not sent: ${send.error ?? 'unknown error'}`}</span>
              <button type="button" onClick={() => void workspace.conversation.retry(send.localId)}>
                Retry
              </button>
              <button type="button" class="link" onClick={() => workspace.conversation.discard(send.localId)}>
                Discard
              </button>
            </>
          )}
        </span>
      </li>
    );
  }
  const { message } = item;
  return (
    <li class={`message ${message.type}`} data-uuid={message.uuid}>
      {message.message && <p class="text">{message.message}</p>}
      {message.file && <MessageFile backend={backend} url={message.file} />}
      <span class="meta">
        <time dateTime={message.created_at}>{messageTime(message.created_at)}</time>
        {message.type === 'sent' && <span class={`status ${message.status}`}>{STATUS_LABELS[message.status]}</span>}
      </span>
    </li>
  );
}

function Header({ desk, workspace, backend }: { desk: HelpDeskJson; workspace: Workspace; backend: Backend }) {
  const busy = useSignal(false);
  const error = useSignal<string | undefined>(undefined);
  const status = statusOf(desk);
  const toggle = async () => {
    busy.value = true;
    error.value = undefined;
    try {
      workspace.helpDesks.applyHelpDesk(
        await backend.setHelpDeskStatus(desk.uuid, status === 'open' ? 'closed' : 'open'),
      );
    } catch (failure) {
      error.value = errorText(failure);
    } finally {
      busy.value = false;
    }
  };
  return (
    <header class="conversation-header">
      <button type="button" class="back" onClick={() => void workspace.open(undefined)}>
        ← Help desks
      </button>
      <div class="who">
        <h2>{desk.client.name}</h2>
        <span class="phone">{desk.client.phone}</span>
      </div>
      <span class={`badge ${status}`}>{status === 'open' ? 'Open' : 'Closed'}</span>
      <button type="button" onClick={() => void toggle()} disabled={busy.value}>
        {status === 'open' ? 'Close help desk' : 'Reopen help desk'}
      </button>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </header>
  );
}

export function ConversationView({ workspace, backend }: { workspace: Workspace; backend: Backend }) {
  const store = workspace.conversation;
  const helpDesk = store.conversation.value?.helpDesk;
  const desk = helpDesk ? workspace.helpDesks.index.value.get(helpDesk) : undefined;
  const items = store.items.value;
  const hasOlder = store.hasOlder.value;
  const loadingOlder = store.loadingOlder.value;
  const list = useRef<HTMLOListElement>(null);
  const sentinel = useRef<HTMLLIElement>(null);
  // Where the view was before this render: at the bottom it follows new messages; otherwise the
  // message the agent was reading stays where it was, whatever was added above it.
  const position = useRef<ScrollPosition>({ helpDesk: undefined, head: '', atBottom: true, anchor: undefined });
  // What sits above the messages the agent reads: only a change there moves them. (Restoring on
  // every render could undo a scroll whose event has not been dispatched yet.)
  const head = `${items[0]?.kind === 'message' ? items[0].message.uuid : ''} ${hasOlder} ${loadingOlder}`;

  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    const before = position.current;
    if (before.helpDesk !== helpDesk || before.atBottom) element.scrollTop = element.scrollHeight;
    else if (before.anchor && before.head !== head) restoreAnchor(element, before.anchor);
    position.current = { helpDesk, head, ...capture(element) };
  });

  // Scrolling up to the top loads the page before: the sentinel (the first row, with the
  // "Load older messages" button for the keyboard) coming into view is the trigger. A new
  // observer after each load reports at once whether the sentinel is still in view, so a page too
  // short to push it away loads the next one too.
  useEffect(() => {
    const root = list.current;
    const target = sentinel.current;
    if (!root || !target || !hasOlder || loadingOlder) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) void store.loadOlder();
      },
      { root, rootMargin: `${PRELOAD_PX}px 0px 0px 0px` },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [helpDesk, hasOlder, loadingOlder]);

  const onScroll = () => {
    const element = list.current;
    if (element) position.current = { helpDesk, head, ...capture(element) };
  };

  if (!helpDesk) {
    return (
      <section class="conversation empty" aria-label="Conversation">
        <p>Choose a help desk to read and answer its conversation.</p>
      </section>
    );
  }
  return (
    <section class="conversation" aria-label={`Conversation with ${desk?.client.name ?? 'client'}`}>
      {desk && <Header desk={desk} workspace={workspace} backend={backend} />}
      <ol
        class="messages"
        aria-label="Messages"
        aria-busy={loadingOlder ? 'true' : undefined}
        ref={list}
        onScroll={onScroll}
      >
        {hasOlder ? (
          <li class="older" ref={sentinel}>
            <button
              type="button"
              class="link"
              aria-disabled={loadingOlder ? 'true' : undefined}
              onClick={() => void store.loadOlder()}
            >
              {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
            </button>
          </li>
        ) : (
          items.some((item) => item.kind === 'message') && (
            <li class="older">
              <span class="hint">Start of the conversation</span>
            </li>
          )
        )}
        {items.map((item) => (
          <Item
            key={item.kind === 'message' ? item.message.uuid : item.send.localId}
            item={item}
            backend={backend}
            workspace={workspace}
          />
        ))}
      </ol>
      {store.error.value && (
        <p class="error" role="alert">
          {store.error.value}
        </p>
      )}
      <Composer workspace={workspace} />
    </section>
  );
}

/** How close to the top (px) the agent gets before the older page is asked for. */
const PRELOAD_PX = 300;
/** Within this of the bottom (px), the view counts as following the newest message. */
const BOTTOM_SLACK_PX = 40;

interface ScrollPosition {
  helpDesk: string | undefined;
  head: string;
  atBottom: boolean;
  anchor: ScrollAnchor | undefined;
}

function capture(element: HTMLElement): Pick<ScrollPosition, 'atBottom' | 'anchor'> {
  const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - BOTTOM_SLACK_PX;
  return { atBottom, anchor: atBottom ? undefined : captureAnchor(element) };
}
