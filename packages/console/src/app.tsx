import { useEffect, useMemo } from 'preact/hooks';
import type { Backend } from './api/backend';
import { AdminView } from './components/admin-view';
import { AgentView } from './components/agent-view';
import { SignIn } from './components/sign-in';
import { Notifier } from './stores/notifications';
import type { SessionStore } from './stores/session.store';
import { Workspace } from './stores/workspace';

function Agent({
  session,
  backend,
  organization,
  admin,
}: {
  session: SessionStore;
  backend: Backend;
  organization: string;
  admin: boolean;
}) {
  const notifier = useMemo(() => new Notifier(localStorage), []);
  const workspace = useMemo(
    () =>
      new Workspace({
        backend,
        organization,
        storage: localStorage,
        onReceived: () => notifier.received(),
        onEnded: (reason) => session.signOut(reason),
      }),
    [backend, organization],
  );
  useEffect(() => () => workspace.stop(), [workspace]);
  return (
    <AgentView
      workspace={workspace}
      backend={backend}
      notifier={notifier}
      organization={organization}
      onSignOut={() => session.signOut()}
      onBack={admin ? () => session.backToAdministration() : undefined}
    />
  );
}

export function App({ session }: { session: SessionStore }) {
  const view = session.view.value;
  const backend = session.backend.value;
  if (view.kind === 'signed-out' || !backend) return <SignIn session={session} />;
  if (view.kind === 'admin') {
    return (
      <AdminView
        backend={backend}
        onOpenAsAgent={(organization) => session.openAsAgent(organization)}
        onSignOut={() => session.signOut()}
      />
    );
  }
  return <Agent session={session} backend={backend} organization={view.organization} admin={view.admin} />;
}
