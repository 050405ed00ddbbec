// Regenerates the console's screenshots in docs/ (referenced by the README) from a real embedded
// server and Debian's chromium: `pnpm run screenshots` (after `pnpm build`).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createOrganizationWithKey } from '../organization.js';
import { post } from '../rest.js';
import { REPO_ROOT } from '../process-harness.js';
import { launchChromium, newAgentPage, signIn } from './browser.js';
import { startEmbedded } from './embedded-server.js';

const DOCS = join(REPO_ROOT, 'docs');

async function receive(origin: string, key: string, name: string, phone: string, message: string) {
  await post(origin, '/api/receive-message/', { client: { name, phone }, message }, key);
}

async function main(): Promise<void> {
  const server = await startEmbedded();
  const browser = await launchChromium();
  try {
    const { origin, adminToken } = server;
    const { key } = await createOrganizationWithKey({ baseUrl: origin, adminToken }, 'acme', { name: 'acme' });
    await receive(origin, key, 'Bruno Lima', '5521988887777', 'Boa tarde! O pedido 1043 já saiu?');
    await receive(origin, key, 'Carla Dias', '5531977776666', 'Can I change the delivery address?');
    await receive(origin, key, 'Ana Souza', '5511999990000', 'Oi, tudo bem? Minha fatura veio duplicada.');

    const { page } = await newAgentPage(browser, origin, { width: 1100, height: 640 });
    await signIn(page, key);
    await page.getByRole('button', { name: /Ana Souza/ }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Olá Ana! Vou verificar agora mesmo.');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Sent', { exact: true }).waitFor();
    await receive(origin, key, 'Ana Souza', '5511999990000', 'Obrigada! É a fatura de novembro.');
    await page.getByRole('list', { name: 'Messages' }).getByText('É a fatura de novembro').waitFor();
    await receive(origin, key, 'Bruno Lima', '5521988887777', 'Consegue me mandar o código de rastreio?');
    await page.getByLabel('2 unread').waitFor();

    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'console-conversation.png') });
    const narrow = await newAgentPage(browser, origin, { width: 360, height: 640 });
    await signIn(narrow.page, key);
    await narrow.page.getByRole('button', { name: /Carla Dias/ }).waitFor();
    await narrow.page.screenshot({ path: join(DOCS, 'console-list.png') });
    console.log(`screenshots written to ${DOCS}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
