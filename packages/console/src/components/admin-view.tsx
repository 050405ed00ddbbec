import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { ClientJson, OrganizationJson } from '@helpdesk/shared';
import { errorText, type ApiKeyJson, type Backend, type CreatedApiKeyJson, type WebhookJson } from '../api/backend';

interface AdminViewProps {
  backend: Backend;
  onOpenAsAgent: (organization: string) => void;
  onSignOut: () => void;
}

/** Runs an administration call, showing its error in words; answers whether it worked. */
function useAction() {
  const error = useSignal<string | undefined>(undefined);
  const busy = useSignal(false);
  const run = async (work: () => Promise<void>): Promise<boolean> => {
    busy.value = true;
    error.value = undefined;
    try {
      await work();
      return true;
    } catch (failure) {
      error.value = errorText(failure);
      return false;
    } finally {
      busy.value = false;
    }
  };
  return { error, busy, run };
}

function ErrorLine({ text }: { text: string | undefined }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}

const field = (form: HTMLFormElement, name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;

export function AdminView({ backend, onOpenAsAgent, onSignOut }: AdminViewProps) {
  const organizations = useSignal<OrganizationJson[]>([]);
  const chosen = useSignal<string | undefined>(undefined);
  const { error, busy, run } = useAction();

  useEffect(() => {
    void run(async () => {
      organizations.value = await backend.organizations();
    });
  }, [backend]);

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = field(form, 'organization-name').trim();
    void run(async () => {
      const created = await backend.createOrganization(name);
      organizations.value = [...organizations.value, created];
      chosen.value = created.name;
      form.reset();
    });
  };

  return (
    <div class="admin">
      <header class="top-bar">
        <h1>
          helpdesk-chat <span class="organization">administration</span>
        </h1>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div class="admin-panes">
        <section aria-labelledby="organizations-title" class="card">
          <h2 id="organizations-title">Organizations</h2>
          <ul class="plain">
            {organizations.value.map((organization) => (
              <li key={organization.uuid}>
                <button
                  type="button"
                  class={`choice${chosen.value === organization.name ? ' selected' : ''}`}
                  aria-current={chosen.value === organization.name ? 'true' : undefined}
                  onClick={() => (chosen.value = organization.name)}
                >
                  {organization.name}
                </button>
              </li>
            ))}
          </ul>
          <form onSubmit={create} class="inline-form">
            <label for="organization-name">New organization</label>
            <input id="organization-name" name="organization-name" required pattern="[A-Za-z0-9_\-]{1,64}" />
            <button type="submit" disabled={busy.value}>
              Create organization
            </button>
          </form>
          <ErrorLine text={error.value} />
        </section>
        {chosen.value && (
          <OrganizationPanel
            key={chosen.value}
            backend={backend}
            organization={chosen.value}
            onOpenAsAgent={onOpenAsAgent}
          />
        )}
      </div>
    </div>
  );
}

function OrganizationPanel({
  backend,
  organization,
  onOpenAsAgent,
}: {
  backend: Backend;
  organization: string;
  onOpenAsAgent: (organization: string) => void;
}) {
  return (
    <section aria-labelledby="organization-title" class="organization-panel">
      <header class="panel-header">
        <h2 id="organization-title">{organization}</h2>
        <button type="button" onClick={() => onOpenAsAgent(organization)}>
          Open as agent
        </button>
      </header>
      <ApiKeys backend={backend} organization={organization} />
      <Clients backend={backend} organization={organization} />
      <Webhook backend={backend} organization={organization} />
    </section>
  );
}

function ApiKeys({ backend, organization }: { backend: Backend; organization: string }) {
  const keys = useSignal<ApiKeyJson[]>([]);
  const created = useSignal<CreatedApiKeyJson | undefined>(undefined);
  const copied = useSignal(false);
  const { error, busy, run } = useAction();
  useEffect(() => {
    void run(async () => {
      keys.value = await backend.apiKeys(organization);
    });
  }, [backend, organization]);

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    void run(async () => {
      const key = await backend.createApiKey(organization, field(form, 'key-name').trim());
      created.value = key;
      copied.value = false;
      keys.value = [...keys.value, { uuid: key.uuid, name: key.name, created_at: key.created_at }];
      form.reset();
    });
  };
  const revoke = (key: ApiKeyJson) =>
    void run(async () => {
      await backend.revokeApiKey(organization, key.uuid);
      keys.value = keys.value.filter((candidate) => candidate.uuid !== key.uuid);
    });

  return (
    <section aria-labelledby="keys-title" class="card">
      <h3 id="keys-title">API keys</h3>
      {created.value && (
        <div class="new-key" role="status">
          <p>{`Key "${created.value.name}" — shown this once, copy it now:`}</p>
          <code aria-label="New API key">{created.value.key}</code>
          <button
            type="button"
            onClick={() =>
              void navigator.clipboard.writeText(created.value?.key ?? '').then(
                () => (copied.value = true),
                () => undefined,
              )
            }
          >
            {copied.value ? 'Copied' : 'Copy key'}
          </button>
        </div>
      )}
      <ul class="plain rows">
        {keys.value.map((key) => (
          <li key={key.uuid}>
            <span>{key.name}</span>
            <button type="button" class="link danger" aria-label={`Revoke key ${key.name}`} onClick={() => revoke(key)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={create} class="inline-form">
        <label for="key-name">Key name</label>
        <input id="key-name" name="key-name" required maxLength={100} />
        <button type="submit" disabled={busy.value}>
          Create key
        </button>
      </form>
      <ErrorLine text={error.value} />
    </section>
  );
}

function Clients({ backend, organization }: { backend: Backend; organization: string }) {
  const clients = useSignal<ClientJson[]>([]);
  const notice = useSignal<string | undefined>(undefined);
  const { error, busy, run } = useAction();
  useEffect(() => {
    void run(async () => {
      clients.value = await backend.clients(organization);
    });
  }, [backend, organization]);

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    void run(async () => {
      const client = await backend.createClient(
        organization,
        field(form, 'client-name').trim(),
        field(form, 'client-phone').trim(),
      );
      clients.value = [...clients.value, client];
      form.reset();
    });
  };
  const openHelpDesk = (client: ClientJson) =>
    void run(async () => {
      await backend.createHelpDesk(organization, client.uuid);
      notice.value = `Help desk created for ${client.name}.`;
    });

  return (
    <section aria-labelledby="clients-title" class="card">
      <h3 id="clients-title">Clients</h3>
      <ul class="plain rows">
        {clients.value.map((client) => (
          <li key={client.uuid}>
            <span>
              {client.name} <span class="phone">{client.phone}</span>
            </span>
            <button
              type="button"
              class="link"
              aria-label={`Create help desk for ${client.name}`}
              onClick={() => openHelpDesk(client)}
            >
              Create help desk
            </button>
          </li>
        ))}
      </ul>
      {notice.value && <p role="status">{notice.value}</p>}
      <form onSubmit={create} class="inline-form">
        <label for="client-name">Client name</label>
        <input id="client-name" name="client-name" required />
        <label for="client-phone">Phone</label>
        <input id="client-phone" name="client-phone" type="tel" required />
        <button type="submit" disabled={busy.value}>
          Create client
        </button>
      </form>
      <ErrorLine text={error.value} />
    </section>
  );
}

function Webhook({ backend, organization }: { backend: Backend; organization: string }) {
  const webhook = useSignal<WebhookJson | undefined>(undefined);
  const { error, busy, run } = useAction();
  useEffect(() => {
    void run(async () => {
      webhook.value = await backend.webhook(organization);
    });
  }, [backend, organization]);

  const save = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    void run(async () => {
      webhook.value = await backend.setWebhook(
        organization,
        field(form, 'webhook-url').trim(),
        field(form, 'webhook-secret'),
      );
      form.reset();
    });
  };
  const remove = () =>
    void run(async () => {
      await backend.removeWebhook(organization);
      webhook.value = undefined;
    });

  return (
    <section aria-labelledby="webhook-title" class="card">
      <h3 id="webhook-title">Delivery webhook</h3>
      {webhook.value ? (
        <p class="rows">
          <span>{webhook.value.url}</span>
          <button type="button" class="link danger" onClick={remove}>
            Remove webhook
          </button>
        </p>
      ) : (
        <p class="hint">None: messages are sent once stored.</p>
      )}
      <form onSubmit={save} class="inline-form">
        <label for="webhook-url">Webhook URL</label>
        <input id="webhook-url" name="webhook-url" type="url" required />
        <label for="webhook-secret">Signing secret</label>
        <input
          id="webhook-secret"
          name="webhook-secret"
          type="password"
          required
          minLength={16}
          maxLength={256}
          autoComplete="off"
        />
        <button type="submit" disabled={busy.value}>
          Save webhook
        </button>
      </form>
      <ErrorLine text={error.value} />
    </section>
  );
}
