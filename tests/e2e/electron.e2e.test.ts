import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempHome } from './support/webApp';

const pathFile = join(REPO_ROOT, 'node_modules', 'electron', 'path.txt');
const hasElectron = existsSync(pathFile);
const title = hasElectron
  ? 'launches the desktop shell on the demo project'
  : 'launches the desktop shell (skipped: Electron binary not installed, node_modules/electron/path.txt is missing)';

describe('Electron smoke test', () => {
  it.skipIf(!hasElectron)(title, async () => {
    // Loaded only here: playwright's electron launcher needs the binary that path.txt names.
    const { _electron } = await import('playwright-core');
    const { readFileSync } = await import('node:fs');
    const executablePath = join(REPO_ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
    const home = tempHome();
    const app = await _electron.launch({
      executablePath,
      args: [REPO_ROOT, '--no-sandbox'],
      env: { ...process.env, SIM2REAL_HOME: home.path },
    });
    try {
      const window = await app.firstWindow();
      expect(await window.title()).toBe('Sim2Real Studio');
      await expect.poll(() => window.getByTestId('project-name').textContent()).toBe('Demo');
      const exposed = await window.evaluate(() => Object.keys((window as unknown as { api: object }).api).sort());
      expect(exposed).toEqual(['invoke', 'onEvent', 'pickFolder']);
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    } finally {
      await app.close();
      home.cleanup();
    }
  });
});
