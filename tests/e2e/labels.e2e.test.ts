/**
 * Labels ten spots by keyboard in the demo project, reloads and finds them, and sees the
 * metrics change. Two models with known prediction masks are written straight into the project
 * (real SQLite rows, real PNG files in the cache), so the expected metrics are known exactly.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelInferenceJobs } from './support/compareProject';
import { openBrowser, startServer, tempHome, type Browser, type RunningServer } from './support/webApp';

const W = 160;
const H = 96;
const SHOTS = process.env.S2R_SHOTS;
/** Two shared cores, and the first calls probe execution providers: give the UI time. */
const SLOW = { timeout: 30_000, interval: 100 };

async function invoke<T>(server: RunningServer, channel: string, payload: unknown = {}): Promise<T> {
  const res = await fetch(`${server.origin}/api/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-s2r-token': server.token },
    body: JSON.stringify({ channel, payload }),
  });
  const result = (await res.json()) as { ok: boolean; value: T; error?: { message: string } };
  if (!result.ok) throw new Error(`${channel}: ${result.error?.message}`);
  return result.value;
}

async function grey(path: string, data: Uint8Array, width = W, height = H): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await sharp(Buffer.from(data), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}

/** A dashcam-like frame: sky above, road below, a dark "car" box. */
function frameRgb(i: number): Buffer {
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const car = x > 40 + i * 8 && x < 80 + i * 8 && y > 50 && y < 75;
      const c = car ? [20, 30, 120] : y < H * 0.4 ? [110, 150, 200] : [110, 90, 110];
      rgb.set(c.map((v) => Math.min(255, v + ((x * 7 + y * 3 + i) % 11))), (y * W + x) * 3);
    }
  }
  return rgb;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for the folder scan');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('spot-check labelling, offline, and the comparison it answers', () => {
  const home = tempHome();
  let server: RunningServer;
  let browser: Browser;
  let dbFile: string;
  let names: { source: string; adapted: string };

  beforeAll(async () => {
    server = await startServer(home.path);
    browser = await openBrowser();
    if (!(await invoke<unknown>(server, 'project:current'))) await invoke(server, 'project:create', { name: 'Demo' });
    let datasets = await invoke<{ id: number; role: string; name: string }[]>(server, 'dataset:list');
    if (!datasets.some((d) => d.role === 'dashcam')) {
      const root = join(home.path, 'dashcam');
      mkdirSync(root, { recursive: true });
      for (let i = 0; i < 6; i++) {
        await sharp(frameRgb(i), { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(root, `drive_${String(i).padStart(4, '0')}.png`));
      }
      await invoke(server, 'dataset:add', { name: 'Dashcam (test)', role: 'dashcam', root });
    }
    // The metrics jobs must not queue behind the demo's run of the shipped models: this test seeds its own.
    await cancelInferenceJobs(server);
    await waitFor(async () => (await invoke<{ status: string }[]>(server, 'jobs:list')).every((j) => j.status !== 'queued' && j.status !== 'running'));
    datasets = await invoke(server, 'dataset:list');
    const dashcam = datasets.find((d) => d.role === 'dashcam')!;
    const { frames } = await invoke<{ frames: { id: number; width: number; height: number }[] }>(server, 'dataset:frames', {
      datasetId: dashcam.id,
      offset: 0,
      limit: 200,
    });
    const project = await invoke<{ path: string }>(server, 'project:current');
    dbFile = join(project.path, 'project.sqlite');
    const db = new Database(dbFile);
    db.pragma('busy_timeout = 5000');
    names = { source: 'Source-only (e2e)', adapted: 'Adapted (e2e)' };
    const model = db.prepare("INSERT INTO models (name, role, path, card_json, sha256) VALUES (?, ?, '/none.onnx', '{}', 'e2e')");
    const ids = [model.run(names.source, 'source_only').lastInsertRowid, model.run(names.adapted, 'adapted').lastInsertRowid].map(Number);
    const insert = db.prepare('INSERT INTO predictions (frame_id, model_id, mask_path, class_histogram) VALUES (?, ?, ?, ?)');
    for (const f of frames) {
      const w = f.width ?? W;
      const h = f.height ?? H;
      // Source-only calls the top half sky and the rest road; adapted also finds the lower-middle "car".
      const masks = [
        Uint8Array.from({ length: w * h }, (_, i) => (i / w < h * 0.5 ? 10 : 0)),
        Uint8Array.from({ length: w * h }, (_, i) => (i / w < h * 0.4 ? 10 : i / w > h * 0.52 && i / w < h * 0.78 && i % w > w * 0.3 && i % w < w * 0.7 ? 13 : 0)),
      ];
      for (const [k, modelId] of ids.entries()) {
        const rel = `predictions-e2e/${modelId}/${f.id}.png`;
        await grey(join(project.path, 'cache', rel), masks[k]!, w, h);
        const hist = new Array<number>(19).fill(0);
        for (const v of masks[k]!) hist[v]!++;
        insert.run(f.id, modelId, rel, JSON.stringify(hist));
      }
    }
    db.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    home.cleanup();
  });

  const spotsCard = () => browser.page.getByTestId('source-dashcam-spots').textContent();
  const openMetrics = async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Metrics', exact: true }).click();
    await page.getByLabel('Baseline model').selectOption({ label: names.source });
    await page.getByLabel('Candidate model').selectOption({ label: names.adapted });
  };

  it('labels ten spots by keyboard, finds them after a reload, and the metrics change', async () => {
    const { page } = browser;
    await page.goto(server.url);
    await expect.poll(() => page.getByTestId('project-name').textContent(), SLOW).toBe('Demo');
    await openMetrics();
    await expect.poll(spotsCard, SLOW).toContain('0 labelled spots');
    const before = await spotsCard();

    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await page.getByLabel('Number of spots').fill('12');
    await page.getByRole('button', { name: 'Propose spots' }).click();
    await expect.poll(() => page.getByTestId('spot-position').textContent(), SLOW).toBe('Spot 1 of 12');
    await expect.poll(() => page.getByTestId('spot-zoom').evaluate((c: HTMLCanvasElement) => c.toDataURL().length), SLOW).toBeGreaterThan(2000);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'label-spot.png') });
    const keys = ['Digit1', 'Shift+Digit1', 'Digit2', 'Shift+Digit4', 'Digit1', 'Shift+Digit1', 'Digit0', 'Digit1', 'Shift+Digit1', 'KeyX'];
    for (const [i, key] of keys.entries()) {
      await page.keyboard.press(key);
      await expect.poll(() => page.getByTestId('spot-answered-count').textContent(), SLOW).toContain(`${i + 1} of 12`);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('spot-position').textContent(), SLOW).toBe(`Spot ${i + 2} of 12`);
    }

    await page.reload();
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await expect.poll(() => page.getByTestId('spot-answered-count').textContent(), SLOW).toContain('10 of 12 answered');
    await expect.poll(() => page.getByTestId('spot-position').textContent(), SLOW).toBe('Spot 11 of 12');
    await page.keyboard.press('Backspace');
    await expect.poll(() => page.getByTestId('spot-answer').textContent(), SLOW).toContain("can't tell");
    await page.keyboard.press('Backspace');
    await expect.poll(() => page.getByTestId('spot-answer').textContent(), SLOW).toContain('sky');

    const db = new Database(dbFile, { readonly: true });
    const rows = db.prepare('SELECT train_id, cant_tell FROM label_spots WHERE train_id IS NOT NULL OR cant_tell = 1').all() as { train_id: number | null; cant_tell: number }[];
    db.close();
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.train_id === 13)).toHaveLength(1);
    expect(rows.filter((r) => r.cant_tell === 1)).toHaveLength(1);

    await openMetrics();
    await expect.poll(spotsCard, SLOW).toContain('9 labelled spots');
    await expect.poll(spotsCard, SLOW).toMatch(/mIoU/);
    const after = await spotsCard();
    expect(after).not.toBe(before);
    await expect.poll(() => page.getByTestId('verdict-dashcam-spots').textContent(), SLOW).toMatch(/Better|Worse|Not yet known/);
    await expect.poll(() => page.getByTestId('metrics-status').textContent(), { ...SLOW, timeout: 60_000 }).toContain('Up to date');
    if (SHOTS) {
      await page.screenshot({ path: join(SHOTS, 'metrics.png') });
      await page.locator('main.view').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.screenshot({ path: join(SHOTS, 'metrics-bottom.png') });
    }
    const download = async (button: string) => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
      return readFileSync((await file.path())!, 'utf8');
    };
    expect(await download('CSV')).toMatch(/^source,model_id,model,metric,class,value,ci_low,ci_high,units\r\ndashcam-/m);
    const html = await download('HTML report');
    expect(html).toContain('Dashcam spot checks');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');

    // A click on the disagreement timeline opens that frame in Compare.
    const timeline = page.locator('[data-chart="timeline"] svg.recharts-surface');
    await timeline.scrollIntoViewIfNeeded();
    const box = (await timeline.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await expect.poll(() => page.evaluate(() => window.location.hash), SLOW).toBe('#/compare');
    expect(browser.consoleErrors).toEqual([]);
  });

  it('paints a whole frame, saves each stroke, and finds the mask after a reload', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await page.getByRole('tab', { name: 'Full frames' }).click();
    await page.getByRole('button', { name: 'Propose frames' }).click();
    const first = page.getByTestId('label-frames').getByRole('button').first();
    await first.click();
    const canvas = page.getByTestId('mask-canvas');
    await expect.poll(() => canvas.boundingBox().then((b) => b?.width ?? 0), SLOW).toBeGreaterThan(100);
    // The demo also holds the shipped models, which have not segmented this frame: pick ours.
    await page.getByLabel('Prediction model').selectOption({ label: names.adapted });
    await page.getByRole('button', { name: 'Use' }).click();
    await expect.poll(() => page.getByTestId('save-state').textContent(), SLOW).toContain('Saved');
    await page.keyboard.press('Shift+Digit4');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.55, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('save-state').textContent(), SLOW).toContain('Saved');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'label-frame.png') });
    const frameName = await first.getAttribute('title');

    await page.reload();
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await page.getByRole('tab', { name: 'Full frames' }).click();
    await page.getByTestId('label-frames').getByRole('button', { name: frameName! }).click();
    const db = new Database(dbFile, { readonly: true });
    const row = db.prepare('SELECT mask_path FROM label_masks').get() as { mask_path: string } | undefined;
    db.close();
    expect(row?.mask_path).toMatch(/_gtFine_labelIds\.png$/);
    await openMetrics();
    await expect.poll(() => page.getByTestId('source-dashcam-frames').textContent(), { ...SLOW, timeout: 60_000 }).toContain('1 labelled frame');
    await expect.poll(() => page.getByTestId('source-dashcam-frames').textContent(), { ...SLOW, timeout: 60_000 }).toMatch(/mIoU/);
    expect(browser.consoleErrors).toEqual([]);
  });
});
