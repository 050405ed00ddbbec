import { describe, expect, it } from 'vitest';
import { apiPath, apiUrl } from './api-url.js';

describe('URLs under an api mounted at a path', () => {
  it('resolves the api paths and Link targets under baseUrl, keeping its path', () => {
    expect(apiUrl('https://host/helpdesk', '/api/help-desks/?limit=5').href).toBe(
      'https://host/helpdesk/api/help-desks/?limit=5',
    );
    expect(apiUrl('https://host/helpdesk/', '/api/x/').href).toBe('https://host/helpdesk/api/x/');
    expect(apiUrl('wss://host/helpdesk', '/ws/chat/acme/').href).toBe('wss://host/helpdesk/ws/chat/acme/');
    expect(apiUrl('http://127.0.0.1:8000', '/api/x/').href).toBe('http://127.0.0.1:8000/api/x/');
    // An absolute target is followed as given.
    expect(apiUrl('https://host/helpdesk', 'https://other/api/x/').href).toBe('https://other/api/x/');
  });

  it("reads a file URL's path relative to the mount", () => {
    expect(apiPath('https://host/helpdesk', 'https://host/helpdesk/api/files/k/a.pdf')).toBe('/api/files/k/a.pdf');
    expect(apiPath('http://127.0.0.1:8000', 'http://127.0.0.1:8000/api/files/k/a.pdf')).toBe('/api/files/k/a.pdf');
    expect(apiPath('https://host/helpdesk', '/api/files/k/a.pdf')).toBe('/api/files/k/a.pdf');
    // Only the mount is taken off: a look-alike prefix is not.
    expect(apiPath('https://host/help', 'https://host/helpdesk/api/files/k')).toBe('/helpdesk/api/files/k');
  });
});
