import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaUrl } from '../../common/contract';
import { cancelInferenceJobs, invoke, PredictionWriter } from './support/compareProject';
import { predictionsFromLabel } from './support/compareScene';
import { openBrowser, REPO_ROOT, startServer, tempHome, type Browser, type RunningServer } from './support/webApp';

const FRAMES_PER_DATASET = 4;

/**
 * The README's picture of the compare view, on the bundled demo frames. No trained models
 * ship yet, so both models' outputs are derived from the frames' labels (see
 * predictionsFromLabel) and written where an inference run would write them.
 */
describe.skipIf(!existsSync(join(REPO_ROOT, 'fixtures', 'demo', 'sim')))('compare view on the demo project', () => {
  const home = tempHome();
  let server: RunningServer;
  let browser: Browser;

  async function labelOf(frameId: number): Promise<{ data: Uint8Array; width: number; height: number }> {
    const response = await fetch(`${server.origin}/${mediaUrl.frameLabel(frameId)}`, { headers: { 'x-s2r-token': server.token } });
    if (!response.ok) throw new Error(`label of frame ${frameId}: ${response.status}`);
    const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height };
  }

  beforeAll(async () => {
    server = await startServer(home.path);
    // The picture shows the seeded pair: stop the demo's own run of the shipped models.
    await cancelInferenceJobs(server);
    const project = (await invoke(server, 'project:current', {}))!;
    const writer = new PredictionWriter(project.path);
    try {
      for (const dataset of await invoke(server, 'dataset:list', {})) {
        const { frames } = await invoke(server, 'compare:frames', {
          datasetId: dataset.id,
          sort: 'index',
          filter: { labelled: true },
          offset: 0,
          limit: FRAMES_PER_DATASET,
        });
        for (const [i, frame] of frames.entries()) {
          const label = await labelOf(frame.id);
          await writer.write(frame.id, predictionsFromLabel(label.data, label.width, label.height, i));
        }
      }
    } finally {
      writer.close();
    }
    browser = await openBrowser();
    await browser.page.setViewportSize({ width: 1600, height: 860 });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    home.cleanup();
  });

  it('shows both folders with the models’ masks (S2R_UPDATE_SCREENSHOTS=1 saves docs/compare.png)', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await page.goto(`${server.origin}/#/compare`);
    // The demo also holds the shipped models; this picture shows the seeded pair.
    await page.getByLabel('Source-only', { exact: true }).selectOption({ label: 'Source-only (GTA5)' });
    await page.getByLabel('Adapted', { exact: true }).selectOption({ label: 'AdaptSegNet' });
    await page.getByLabel('Label status').selectOption('yes');
    await page.getByLabel('Sort frames').selectOption('disagreement');
    await expect.poll(() => page.getByTestId('pane-dashcam').getByText('Needs both models').count()).toBe(0);
    await page.waitForFunction(() =>
      ['sim', 'dashcam'].every((p) => document.querySelector<HTMLCanvasElement>(`[data-testid="canvas-${p}"]`)?.dataset.frameId),
    );
    const box = (await page.getByTestId('canvas-dashcam').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.66);
    await page.getByTestId('hover-readout').waitFor();
    await page.waitForTimeout(300);
    // The README's picture is refreshed on request only, so a test run leaves the tree clean.
    const shotDir = process.env.S2R_UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : home.path;
    mkdirSync(shotDir, { recursive: true });
    const shot = await page.screenshot({ path: join(shotDir, 'compare.png') });
    expect(shot.length).toBeGreaterThan(10_000);
    expect(browser.consoleErrors).toEqual([]);
  });
});
