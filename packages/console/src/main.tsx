import { render } from 'preact';
import { createClientBackend } from './api/client-backend';
import { App } from './app';
import { SessionStore } from './stores/session.store';
import './styles.css';

const session = new SessionStore(sessionStorage, (apiKey) => createClientBackend(apiKey));
void session.restore();
render(<App session={session} />, document.getElementById('app') as HTMLElement);
