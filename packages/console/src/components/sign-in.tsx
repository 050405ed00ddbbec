import type { SessionStore } from '../stores/session.store';

export function SignIn({ session }: { session: SessionStore }) {
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const key = (form.elements.namedItem('api-key') as HTMLInputElement).value;
    void session.signIn(key);
  };
  return (
    <main class="sign-in">
      <form onSubmit={onSubmit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">helpdesk-chat</h1>
        <p>Sign in with an organization's API key to work its conversations, or with an administrator key.</p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          disabled={session.busy.value}
        />
        {session.error.value && (
          <p class="error" role="alert">
            {session.error.value}
          </p>
        )}
        <button type="submit" disabled={session.busy.value}>
          Sign in
        </button>
      </form>
    </main>
  );
}
