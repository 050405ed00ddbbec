import { useEffect } from 'preact/hooks';
import type { Backend } from '../api/backend';
import type { Notifier } from '../stores/notifications';
import { titleFor } from '../stores/notifications';
import type { Workspace } from '../stores/workspace';
import { ConnectionBanner } from './connection-banner';
import { ConversationView } from './conversation';
import { HelpDeskList } from './help-desk-list';

interface AgentViewProps {
  workspace: Workspace;
  backend: Backend;
  notifier: Notifier;
  organization: string;
  onSignOut: () => void;
  /** For an administrator working an organization: back to administration. */
  onBack: (() => void) | undefined;
}

export function AgentView({ workspace, backend, notifier, organization, onSignOut, onBack }: AgentViewProps) {
  const unread = workspace.helpDesks.unreadHelpDesks.value;
  useEffect(() => {
    document.title = titleFor(unread);
  }, [unread]);
  useEffect(() => () => void (document.title = titleFor(0)), []);
  const open = workspace.conversation.conversation.value !== undefined;

  return (
    <div class={`agent${open ? ' conversation-open' : ''}`}>
      <header class="top-bar">
        <h1>
          helpdesk-chat <span class="organization">{organization}</span>
        </h1>
        <ConnectionBanner state={workspace.connection.value} />
        <label class="sound">
          <input
            type="checkbox"
            checked={notifier.soundOn.value}
            onChange={(event) => notifier.setSound(event.currentTarget.checked)}
          />
          Sound
        </label>
        {onBack && (
          <button type="button" class="link" onClick={onBack}>
            Administration
          </button>
        )}
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="panes">
        <HelpDeskList workspace={workspace} />
        <ConversationView workspace={workspace} backend={backend} />
      </div>
    </div>
  );
}
