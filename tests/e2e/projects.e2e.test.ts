import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, startServer, tempHome, type Browser, type RunningServer } from './support/webApp';

describe('browser mode: projects survive a restart', () => {
  const home = tempHome();
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(home.path);
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    home.cleanup();
  });

  it('opens on the bundled demo project', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('project-name').textContent(), { timeout: 30_000 }).toBe('Demo');
  });

  it("lists the demo's runs with folder, models, frames and speed, and a rerun from the Models view writes no frame again", async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Models' }).click();
    const rows = page.getByTestId('runs').locator('tbody tr');
    const cells = async (col: string) => rows.locator(`td[data-col="${col}"]`).allTextContents();
    // The demo queues one run per folder on first open; the table refreshes as their jobs move.
    await expect.poll(() => cells('status'), { timeout: 180_000 }).toEqual(['done', 'done']);
    expect(await cells('frames')).toEqual(['24 of 24 in the folder', '24 of 24 in the folder']);
    for (const speed of await cells('speed')) expect(speed).toMatch(/^\d+\.\d frames\/s$/);
    const first = await rows.first().locator('td').allTextContents();
    expect(first.slice(2, 3)).toEqual(['source_only, adapted, oracle, discriminator']);

    await page.getByLabel('Dataset to run on').selectOption({ index: 0 });
    await page.getByRole('checkbox', { name: 'source_only' }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(3);
    await expect.poll(() => cells('status'), { timeout: 60_000 }).toEqual(['done', 'done', 'done']);
    const rerun = await rows.first().locator('td').allTextContents();
    expect(rerun.slice(2, 5)).toEqual(['source_only, discriminator', '0 of 24 in the folder', '—']);
    expect(browser.consoleErrors).toEqual([]);
  });

  it('creates a project through the UI, restarts the server, and finds it again', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Projects' }).click();
    await page.getByLabel('Project name').fill('Highway study');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByTestId('project-name').textContent(), { timeout: 30_000 }).toBe('Highway study');

    expect(browser.consoleErrors).toEqual([]);
    await server.stop();
    server = await startServer(home.path);
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('project-name').textContent(), { timeout: 30_000 }).toBe('Highway study');
    const errorsBeforeRestart = browser.consoleErrors.length;
    await page.getByRole('button', { name: 'Projects' }).click();
    const recent = await page.getByTestId('recent').textContent();
    expect(recent).toContain('Highway study');
    expect(recent).toContain('Demo');
    // Requests made while the server was down fail by design; after the restart nothing may.
    expect(browser.consoleErrors.slice(errorsBeforeRestart)).toEqual([]);
  });

  it('saves the GPU precision chosen in the Models view, and shows it again after a restart', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Models' }).click();
    const select = page.getByLabel('GPU precision');
    await expect.poll(() => select.inputValue(), { timeout: 30_000 }).toBe('fp32');
    await select.selectOption('fp16');
    await expect.poll(() => readSettings(home.path).inference?.gpuPrecision, { timeout: 10_000 }).toBe('fp16');
    await server.stop();
    server = await startServer(home.path);
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Models' }).click();
    await expect.poll(() => page.getByLabel('GPU precision').inputValue(), { timeout: 30_000 }).toBe('fp16');
  });

  it('refuses requests without the launch token', async () => {
    const bare = await fetch(`${server.origin}/`);
    expect(bare.status).toBe(401);
    const invoke = await fetch(`${server.origin}/api/invoke`, {
      method: 'POST',
      body: JSON.stringify({ channel: 'project:current', payload: {} }),
    });
    expect(invoke.status).toBe(401);
    const wrong = await fetch(`${server.origin}/?token=${'0'.repeat(64)}`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${server.origin}/api/invoke`, {
      method: 'POST',
      headers: { 'x-s2r-token': server.token },
      body: JSON.stringify({ channel: 'project:current', payload: {} }),
    });
    expect(((await right.json()) as { ok: boolean }).ok).toBe(true);
  });
});

function readSettings(appHome: string): { inference?: { gpuPrecision?: string } } {
  try {
    return JSON.parse(readFileSync(join(appHome, 'settings.json'), 'utf8')) as { inference?: { gpuPrecision?: string } };
  } catch {
    return {};
  }
}
