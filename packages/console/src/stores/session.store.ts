import { signal } from '@preact/signals';
import { errorText, BackendError, type Backend } from '../api/backend';
import type { KeyValueStorage } from './storage';

const KEY_ITEM = 'helpdesk.console.key';
const ORGANIZATION_ITEM = 'helpdesk.console.organization';

export type SessionView =
  { kind: 'signed-out' } | { kind: 'agent'; organization: string; admin: boolean } | { kind: 'admin' };

/**
 * Who is signed in. The key lives in sessionStorage only (this tab, until it closes): never in a
 * URL, never logged.
 */
export class SessionStore {
  readonly view = signal<SessionView>({ kind: 'signed-out' });
  readonly backend = signal<Backend | undefined>(undefined);
  readonly error = signal<string | undefined>(undefined);
  readonly busy = signal(false);

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly connect: (apiKey: string) => Backend,
  ) {}

  /** Signs in again with the key this tab kept, if any (a reload). */
  async restore(): Promise<void> {
    const key = this.storage.getItem(KEY_ITEM);
    if (key !== null) await this.signIn(key, this.storage.getItem(ORGANIZATION_ITEM) ?? undefined);
  }

  async signIn(apiKey: string, adminOrganization?: string): Promise<void> {
    const key = apiKey.trim();
    if (key === '') {
      this.error.value = 'Enter an API key.';
      return;
    }
    this.busy.value = true;
    this.error.value = undefined;
    try {
      const backend = this.connect(key);
      const identity = await backend.identify();
      this.storage.setItem(KEY_ITEM, key);
      this.backend.value = backend;
      if (identity.kind === 'organization') {
        this.view.value = { kind: 'agent', organization: identity.organization, admin: false };
      } else if (adminOrganization !== undefined) {
        this.view.value = { kind: 'agent', organization: adminOrganization, admin: true };
      } else {
        this.view.value = { kind: 'admin' };
      }
    } catch (error) {
      this.storage.removeItem(KEY_ITEM);
      this.error.value =
        error instanceof BackendError && error.status === 401
          ? 'This API key is wrong or was revoked.'
          : errorText(error);
    } finally {
      this.busy.value = false;
    }
  }

  /** An administrator works one organization's conversations with the administrator key. */
  openAsAgent(organization: string): void {
    this.storage.setItem(ORGANIZATION_ITEM, organization);
    this.view.value = { kind: 'agent', organization, admin: true };
  }

  backToAdministration(): void {
    this.storage.removeItem(ORGANIZATION_ITEM);
    this.view.value = { kind: 'admin' };
  }

  signOut(message?: string): void {
    this.storage.removeItem(KEY_ITEM);
    this.storage.removeItem(ORGANIZATION_ITEM);
    this.backend.value = undefined;
    this.view.value = { kind: 'signed-out' };
    this.error.value = message;
  }
}
