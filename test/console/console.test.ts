// Functions passed to page.evaluate and addInitScript run in the page: typed with the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, post } from '../rest.js';
import { createOrganization, type TestOrganization } from '../organization.js';
import { errorsOf, launchChromium, newAgentPage, signIn } from './browser.js';
import { startEmbedded, type EmbeddedServer } from './embedded-server.js';

// The console in headless Chromium against a real embedded server (`pnpm start`'s process).
// Everything is found by role and accessible name, as a user would find it.

let server: EmbeddedServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startEmbedded(), launchChromium()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const messages = (page: Page) => page.getByRole('list', { name: 'Messages' });

async function history(tenant: TestOrganization): Promise<Array<{ message: string; file: string | null }>> {
  const res = await fetch(`${server.origin}/api/help-desks/${String(tenant.helpDesk.uuid)}/history/`, {
    headers: bearer(tenant.key),
  });
  return (await res.json()) as Array<{ message: string; file: string | null }>;
}

async function openConsole(tenant: TestOrganization): Promise<Page> {
  const { page } = await newAgentPage(browser, server.origin);
  await signIn(page, tenant.key);
  await page.getByRole('status', { name: 'Connection' }).getByText('Live').waitFor();
  return page;
}

describe('agents', () => {
  it('one agent sends text and a file and closes the help desk; another sees it all live, the file with the same bytes', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'live');
    const client = String((tenant.client as { name: string }).name);
    const [alice, bob] = await Promise.all([openConsole(tenant), openConsole(tenant)]);
    for (const page of [alice, bob]) await page.getByRole('button', { name: new RegExp(client) }).click();

    await alice.getByRole('textbox', { name: 'Message' }).fill('Hello from Alice');
    await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
    await messages(bob).getByText('Hello from Alice').waitFor();

    const bytes = randomBytes(3000);
    await alice
      .getByLabel('Attach file')
      .setInputFiles({ name: 'report.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await alice.getByRole('button', { name: 'Send' }).click();
    const link = messages(bob).getByRole('link', { name: 'Download report.bin' });
    const [download] = await Promise.all([bob.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('report.bin');
    expect(Buffer.compare(await readFile(await download.path()), bytes)).toBe(0);

    // Sent once each: no duplicate on Alice's screen (optimistic copy and event reconciled).
    await expect.poll(() => messages(alice).getByText('Hello from Alice').count()).toBe(1);
    await expect.poll(() => messages(alice).getByRole('link', { name: 'Download report.bin' }).count()).toBe(1);
    expect((await history(tenant)).map((message) => message.message)).toEqual(['Hello from Alice', '']);

    // Closing is live for the other agent too.
    await alice.getByRole('button', { name: 'Close help desk' }).click();
    await bob.getByRole('button', { name: 'Reopen help desk' }).waitFor();
    // Nothing the console does is refused by its Content-Security-Policy (no inline script or style).
    expect([...errorsOf(alice), ...errorsOf(bob)].filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });

  it('a received message raises the help desk’s unread count and the tab title; opening it clears both', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'unread');
    const page = await openConsole(tenant);
    await page.getByRole('button', { name: /Client of unread/ }).waitFor();
    expect(await page.title()).toBe('helpdesk-chat');

    await post(
      server.origin,
      '/api/receive-message/',
      { client: { name: 'Someone new', phone: '5511955554444' }, message: 'Is anyone there?' },
      tenant.key,
    );
    const desk = page.getByRole('button', { name: /Someone new/ });
    await desk.getByLabel('1 unread').waitFor();
    await expect.poll(() => page.title()).toBe('(1) helpdesk-chat');

    await desk.click();
    await messages(page).getByText('Is anyone there?').waitFor();
    await expect.poll(() => desk.getByLabel(/unread/).count()).toBe(0);
    await expect.poll(() => page.title()).toBe('helpdesk-chat');
  });

  it('a send the server answers with a 5xx shows Retry; Retry sends it again and it exists once', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'retry');
    const page = await openConsole(tenant);
    const keys: string[] = [];
    let failures = 0;
    // The first attempt reaches the server (which stores the message), and its answer is lost to a 502.
    await page.route('**/api/send-message/', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      const answer = await route.fetch();
      if (failures++ === 0) await route.fulfill({ status: 502, json: { detail: 'Bad gateway, try again.' } });
      else await route.fulfill({ response: answer });
    });
    await page.getByRole('button', { name: /Client of retry/ }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Only once, please');
    await page.getByRole('button', { name: 'Send' }).click();

    await messages(page).getByText('Not sent: Bad gateway, try again.').waitFor();
    await messages(page).getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => messages(page).getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await expect.poll(() => messages(page).getByText('Only once, please').count()).toBe(1);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await history(tenant)).map((message) => message.message)).toEqual(['Only once, please']);
  });
});

describe('notifications', () => {
  it('a received message plays a sound while the tab is hidden, once; never for the agent’s own send, nor with Sound off', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'sound');
    const { page } = await newAgentPage(browser, server.origin);
    // Before the console's scripts: a tab whose visibility the test decides (as switching to
    // another tab would), and a count of every sound started, Web Audio or a media element.
    await page.addInitScript(() => {
      let hidden = false;
      const state = {
        sounds: 0,
        hide(value: boolean) {
          hidden = value;
          document.dispatchEvent(new Event('visibilitychange'));
        },
      };
      Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
      Object.defineProperty(Document.prototype, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      const counted = (prototype: object, method: string) => {
        const original = Reflect.get(prototype, method) as (...args: unknown[]) => unknown;
        Reflect.set(prototype, method, function (this: unknown, ...args: unknown[]) {
          state.sounds++;
          return original.apply(this, args);
        });
      };
      counted(AudioScheduledSourceNode.prototype, 'start');
      counted(HTMLMediaElement.prototype, 'play');
      Object.assign(window, { soundTest: state });
    });
    type SoundTest = { sounds: number; hide(value: boolean): void };
    const sounds = () => page.evaluate(() => (window as unknown as { soundTest: SoundTest }).soundTest.sounds);
    const hide = (value: boolean) =>
      page.evaluate((hidden) => (window as unknown as { soundTest: SoundTest }).soundTest.hide(hidden), value);
    const clientWrites = (message: string) =>
      post(
        server.origin,
        '/api/receive-message/',
        { client: { name: 'Client of sound', phone: '5511900000000' }, message },
        tenant.key,
      );

    await signIn(page, tenant.key);
    await page.getByRole('status', { name: 'Connection' }).getByText('Live').waitFor();
    const desk = page.getByRole('button', { name: /Client of sound/ });

    // Looking at the console: no sound.
    await clientWrites('One');
    await desk.getByLabel('1 unread').waitFor();
    expect(await sounds()).toBe(0);

    // In another tab: one message, one sound.
    await hide(true);
    await clientWrites('Two');
    await desk.getByLabel('2 unread').waitFor();
    expect(await sounds()).toBe(1);

    // The agent's own message (its new_message comes before the update_helpdesk that shows it in
    // the list): no sound, hidden or not.
    await desk.click();
    await page.getByRole('textbox', { name: 'Message' }).fill('On my way');
    await page.getByRole('button', { name: 'Send' }).click();
    await desk.getByText('You: On my way').waitFor();
    expect(await sounds()).toBe(1);

    // Sound off: a client's message while hidden is shown, silently.
    await page.getByRole('checkbox', { name: 'Sound' }).uncheck();
    await clientWrites('Three');
    await messages(page).getByText('Three').waitFor();
    expect(await sounds()).toBe(1);

    // And on again.
    await page.getByRole('checkbox', { name: 'Sound' }).check();
    await clientWrites('Four');
    await messages(page).getByText('Four').waitFor();
    expect(await sounds()).toBe(2);
  });
});

describe('administrators', () => {
  it('create an organization, a key, a client with a help desk, then work it as an agent', async () => {
    const { page } = await newAgentPage(browser, server.origin);
    await signIn(page, server.adminToken);
    const name = `admin-${randomBytes(3).toString('hex')}`;
    await page.getByLabel('New organization').fill(name);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name }).waitFor();

    await page.getByLabel('Key name').fill('front desk');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').textContent();
    expect(key).toMatch(/^hdk_/);

    await page.getByLabel('Client name').fill('Dora');
    await page.getByLabel('Phone').fill('5511944443333');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('button', { name: 'Create help desk for Dora' }).click();
    await page.getByText('Help desk created for Dora.').waitFor();

    await page.getByRole('button', { name: 'Open as agent' }).click();
    await page.getByRole('button', { name: /Dora/ }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Welcome, Dora');
    await page.getByRole('button', { name: 'Send' }).click();
    await messages(page).getByText('Sent', { exact: true }).waitFor();

    // The key shown once works as the organization's own key.
    const desks = (await (
      await fetch(`${server.origin}/api/help-desks/?organization=${name}`, { headers: bearer(String(key)) })
    ).json()) as Array<{ last_message: { message: string } | null }>;
    expect(desks.map((desk) => desk.last_message?.message)).toEqual(['Welcome, Dora']);
  });

  it('sign in with either kind of key without a refused request (nothing for the browser to log)', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'quiet');
    for (const [key, landed] of [
      [tenant.key, (page: Page) => page.getByRole('status', { name: 'Connection' }).getByText('Live')],
      [server.adminToken, (page: Page) => page.getByRole('heading', { name: 'Organizations' })],
    ] as const) {
      const { page } = await newAgentPage(browser, server.origin);
      const refused: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) refused.push(`${response.status()} ${new URL(response.url()).pathname}`);
      });
      await signIn(page, key);
      await landed(page).waitFor();
      expect(refused).toEqual([]);
      expect(errorsOf(page)).toEqual([]);
    }
  });

  it('a wrong key gets a clear message and no session (signing in from the keyboard)', async () => {
    const { page } = await newAgentPage(browser, server.origin);
    await page.goto('/');
    await page.keyboard.press('Tab');
    await page.keyboard.type('hdk_not-a-real-key');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This API key is wrong or was revoked.');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });
});

describe('an outage', () => {
  it('shows reconnecting while the server is down, then live, with what was posted meanwhile on screen', async () => {
    const tenant = await createOrganization({ baseUrl: server.origin, adminToken: server.adminToken }, 'outage');
    const page = await openConsole(tenant);
    await page.getByRole('button', { name: /Client of outage/ }).click();
    const banner = page.getByRole('status', { name: 'Connection' });

    await server.restart(async () => {
      await banner.getByText(/Reconnecting/).waitFor();
    });
    // Posted as soon as the server is back, whether or not the console has reconnected yet.
    await post(
      server.origin,
      '/api/receive-message/',
      { client: { name: 'Client of outage', phone: '5511900000000' }, message: 'Are you back?' },
      tenant.key,
    );
    await banner.getByText('Live').waitFor({ timeout: 30_000 });
    await messages(page).getByText('Are you back?').waitFor();
  }, 120_000);
});
