import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Debian's chromium (.ci/run installs it); never a browser download.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A fresh browser profile (its own storage), as a second agent's browser would be. */
export async function newAgentPage(
  browser: Browser,
  origin: string,
  viewport = { width: 1200, height: 760 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: origin, viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.set(page, [...(consoleErrors.get(page) ?? []), message.text()]);
  });
  return { context, page };
}

const consoleErrors = new WeakMap<Page, string[]>();

/** What the page logged as errors (a Content-Security-Policy violation is one). */
export function errorsOf(page: Page): string[] {
  return consoleErrors.get(page) ?? [];
}

/** Opens the console at GET / (it redirects) and signs in with a key. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
