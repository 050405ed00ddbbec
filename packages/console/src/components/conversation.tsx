import { useSignal } from '@preact/signals';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { HelpDeskJson } from '@helpdesk/shared';
import { errorText, type Backend } from '../api/backend';
import { STATUS_LABELS, type TimelineItem } from '../state/conversation';
import { statusOf } from '../state/help-desk-list';
import type { Workspace } from '../stores/workspace';
import { messageTime } from '../format';
import { Composer } from './composer';
import { MessageFile } from './message-file';

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
  const list = useRef<HTMLOListElement>(null);
  // Where the view was before a render: at the bottom it follows new messages; after older ones
  // are added above, it stays on the message that was in view.
  const before = useRef({ height: 0, top: 0, atBottom: true, first: '' });

  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    const first = items[0]?.kind === 'message' ? items[0].message.uuid : '';
    const previous = before.current;
    if (previous.first !== '' && first !== previous.first && !previous.atBottom) {
      element.scrollTop = previous.top + (element.scrollHeight - previous.height);
    } else if (previous.atBottom) {
      element.scrollTop = element.scrollHeight;
    }
    before.current = { ...remember(element), first };
  }, [items]);

  const onScroll = () => {
    const element = list.current;
    if (!element) return;
    before.current = { ...remember(element), first: before.current.first };
    if (element.scrollTop < 80 && store.hasOlder.value) void store.loadOlder();
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
      <ol class="messages" aria-label="Messages" ref={list} onScroll={onScroll}>
        {store.hasOlder.value && (
          <li class="older">
            <button
              type="button"
              class="link"
              onClick={() => void store.loadOlder()}
              disabled={store.loadingOlder.value}
            >
              Load older messages
            </button>
          </li>
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

function remember(element: HTMLElement) {
  return {
    height: element.scrollHeight,
    top: element.scrollTop,
    atBottom: element.scrollTop + element.clientHeight >= element.scrollHeight - 40,
  };
}
