/**
 * Compare view speed, in headless Chromium (SwiftShader, as in the e2e tests) driving the
 * built app in browser mode:
 *   switch   keydown → the pane has drawn the next 1024x512 frame, GPU work finished
 *            (a 1-pixel readPixels waits for it), for frames whose outputs the view has
 *            already fetched and decoded once. Budget: 50 ms median.
 *   both     the same with both panes stepping together (dashcam in split mode, sim in
 *            mask mode: the view's defaults); and onto frames never shown in the page,
 *            BENCH_SETTLE_MS after the previous switch (first visits: the view prefetches
 *            neighbours meanwhile). Each round starts in a freshly loaded page.
 *   pan      one drag step on a 3840x2160 dashcam frame → drawn (both panes, as pan and
 *            zoom are linked by default), as frames per second; and how many textures the
 *            whole drag uploaded (it must be none: pan is a uniform change).
 * A project with two models' predictions is seeded the way the e2e tests seed theirs.
 *
 *   npx electron-vite build && npx tsx bench/compare-switch.bench.ts
 *   BENCH_FRAMES=24 BENCH_ROUNDS=4 BENCH_SETTLE_MS=250 npx tsx bench/compare-switch.bench.ts
 *
 * BENCH_BASELINE=<another build's out/> times that build too, in its own server and
 * browser, the two alternating round by round so that load from other processes falls on
 * both alike, and prints RATIO lines (this build / baseline). A baseline of commit REV:
 *   git worktree add --detach /tmp/base REV && ln -s $PWD/node_modules /tmp/base/ &&
 *   (cd /tmp/base && npx electron-vite build) && BENCH_BASELINE=/tmp/base/out npx tsx bench/compare-switch.bench.ts
 */
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { seedCompareProject, type SeededProject } from '../tests/e2e/support/compareProject';
import { openBrowser, startServer, tempHome, type Browser, type RunningServer } from '../tests/e2e/support/webApp';

const BUDGET_MS = 50;
const FRAMES = Number(process.env.BENCH_FRAMES ?? 24);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const BASELINE = process.env.BENCH_BASELINE;
const PAN_STEPS = 60;
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 250);

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface SwitchTimes {
  /** keydown → every pane's GPU work for the new frame finished. */
  readonly total: number[];
  /** keydown → the last pane's draw call issued (store, React, viewer: the JS part). */
  readonly drawCall: number[];
}

/** Runs in the page: steps with the keyboard and times each switch until drawn and finished. */
async function timeSwitches(page: Page, panes: string[], keys: string[]): Promise<SwitchTimes> {
  return page.evaluate(
    async ({ panes, keys, settleMs }) => {
      const canvases = panes.map((p) => document.querySelector<HTMLCanvasElement>(`[data-testid="canvas-${p}"]`)!);
      const finish = (c: HTMLCanvasElement) => {
        const gl = c.getContext('webgl2')!;
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
      };
      let drawCallAt = 0;
      const drawn = (c: HTMLCanvasElement, before: string | undefined) =>
        new Promise<void>((resolve) => {
          const observer = new MutationObserver(() => {
            if (c.dataset.frameId !== before) {
              observer.disconnect();
              drawCallAt = Math.max(drawCallAt, performance.now());
              finish(c);
              resolve();
            }
          });
          observer.observe(c, { attributes: true, attributeFilter: ['data-frame-id'] });
        });
      const total: number[] = [];
      const drawCall: number[] = [];
      for (const key of keys) {
        drawCallAt = 0;
        const waits = canvases.map((c) => drawn(c, c.dataset.frameId));
        const t0 = performance.now();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
        await Promise.all(waits);
        total.push(performance.now() - t0);
        drawCall.push(drawCallAt - t0);
        // A user looks at each frame: let the last switch's prefetch, thumbnails and
        // compositing finish before the next key, so each switch is timed on its own.
        await new Promise((r) => setTimeout(r, settleMs));
      }
      return { total, drawCall };
    },
    { panes, keys, settleMs: SETTLE_MS },
  );
}

async function waitForFrame(page: Page, pane: string, frameId: number): Promise<void> {
  await page.waitForFunction(
    ([p, id]) => document.querySelector<HTMLCanvasElement>(`[data-testid="canvas-${p}"]`)?.dataset.frameId === String(id),
    [pane, frameId] as const,
    { timeout: 120_000 },
  );
}

/**
 * Runs in the page: a drag of synthetic pointer events, each step timed until both panes
 * (pan is linked) have drawn it and their GPU work has finished.
 */
async function timePan(page: Page): Promise<{ times: number[]; uploads: number }> {
  return page.evaluate(async (steps) => {
    const canvases = ['dashcam', 'sim'].map((p) => document.querySelector<HTMLCanvasElement>(`[data-testid="canvas-${p}"]`)!);
    const canvas = canvases[0]!;
    const rect = canvas.getBoundingClientRect();
    const uploadsBefore = Number(canvas.dataset.textureUploads);
    const at = (type: string, x: number) =>
      canvas.dispatchEvent(
        new PointerEvent(type, { clientX: x, clientY: rect.top + rect.height / 2, pointerId: 1, button: 0, buttons: 1, bubbles: true }),
      );
    const drawn = (c: HTMLCanvasElement) => {
      const before = c.dataset.renderSeq;
      return new Promise<void>((resolve) => {
        const observer = new MutationObserver(() => {
          if (c.dataset.renderSeq !== before) {
            observer.disconnect();
            const gl = c.getContext('webgl2')!;
            gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
            resolve();
          }
        });
        observer.observe(c, { attributes: true, attributeFilter: ['data-render-seq'] });
      });
    };
    // Zoom in first so the drag moves a 4K frame that overflows the pane.
    canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: -900, clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    let x = rect.left + rect.width / 2;
    at('pointerdown', x);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const both = Promise.all(canvases.map(drawn));
      x += i < steps / 2 ? -6 : 6;
      const t0 = performance.now();
      at('pointermove', x);
      await both;
      times.push(performance.now() - t0);
    }
    at('pointerup', x);
    return { times, uploads: Number(canvas.dataset.textureUploads) - uploadsBefore };
  }, PAN_STEPS);
}

interface Side {
  readonly name: string;
  readonly home: ReturnType<typeof tempHome>;
  readonly server: RunningServer;
  readonly browser: Browser;
  readonly seeded: SeededProject;
}

interface Times {
  /** Switches onto frames never shown in this page, both panes, SETTLE_MS after the last. */
  firstVisit: number[];
  single: number[];
  singleDrawCall: number[];
  both: number[];
  pan: number[];
  switchUploads: number;
  panUploads: number;
}

/** A server and browser on a freshly seeded project. */
async function openSide(name: string, outDir?: string): Promise<Side> {
  const home = tempHome();
  const server = await startServer(home.path, ['--no-demo'], outDir);
  const browser = await openBrowser();
  try {
    console.log(`${name}: seeding ${FRAMES} sim + ${FRAMES} dashcam frames at 1024x512 and one at 3840x2160 ...`);
    const seeded = await seedCompareProject(server, home.path, {
      projectName: 'Compare bench',
      width: 1024,
      height: 512,
      simFrames: FRAMES,
      dashcamFrames: FRAMES,
      extraDashcam: { width: 3840, height: 2160 },
    });
    const { page } = browser;
    // tsx compiles with esbuild's keepNames, which wraps the functions passed to
    // page.evaluate in calls to its __name helper; the page needs one too.
    await page.addInitScript('window.__name = (fn) => fn;');
    await page.goto(server.url);
    await page.goto(`${server.origin}/#/compare`);
    return { name, home, server, browser, seeded };
  } catch (err) {
    await browser.close();
    await server.stop();
    home.cleanup();
    throw err;
  }
}

/**
 * One round on one side, in a freshly loaded page: every frame shown once with both panes
 * stepping (first visits; it also makes the outputs "cached"), the dashcam pane alone, both
 * panes together, then the 4K drag.
 */
async function round(side: Side, into: Times): Promise<void> {
  const { page } = side.browser;
  const { dashcam, sim } = side.seeded;
  await page.reload();
  await waitForFrame(page, 'dashcam', dashcam[0]!.id);
  await waitForFrame(page, 'sim', sim[0]!.id);
  await page.getByTestId('frame-name-dashcam').click();
  await page.waitForTimeout(1000);
  await page.getByText('Step together').click();
  into.firstVisit.push(...(await timeSwitches(page, ['dashcam', 'sim'], Array<string>(FRAMES - 1).fill('ArrowRight'))).total);
  // The 4K frame too, so that its late prefetch cannot upload during the sweeps below.
  await page.keyboard.press('End');
  await waitForFrame(page, 'dashcam', dashcam.at(-1)!.id);
  await page.keyboard.press('Home');
  await waitForFrame(page, 'dashcam', dashcam[0]!.id);
  await waitForFrame(page, 'sim', sim[0]!.id);
  await page.getByText('Step together').click();

  const sweep = (n: number) => [...Array<string>(n - 1).fill('ArrowRight'), ...Array<string>(n - 1).fill('ArrowLeft')];
  const uploads = () => page.getByTestId('canvas-dashcam').getAttribute('data-texture-uploads').then(Number);
  const uploadsBefore = await uploads();
  const single = await timeSwitches(page, ['dashcam'], sweep(FRAMES));
  into.single.push(...single.total);
  into.singleDrawCall.push(...single.drawCall);
  into.switchUploads += (await uploads()) - uploadsBefore;
  await page.getByText('Step together').click();
  into.both.push(...(await timeSwitches(page, ['dashcam', 'sim'], sweep(FRAMES))).total);
  await page.getByText('Step together').click();

  const last = dashcam.at(-1)!;
  await page.getByTestId('frame-name-dashcam').click();
  await page.keyboard.press('End');
  await waitForFrame(page, 'dashcam', last.id);
  await page.waitForTimeout(500);
  const pan = await timePan(page);
  into.pan.push(...pan.times);
  into.panUploads += pan.uploads;
}

function line(label: string, times: number[]): void {
  const median = quantile(times, 0.5);
  console.log(
    `${label.padEnd(34)} n=${String(times.length).padStart(3)}  median ${median.toFixed(1).padStart(6)} ms  ` +
      `p90 ${quantile(times, 0.9).toFixed(1).padStart(6)} ms  ratio to ${BUDGET_MS} ms: ${(median / BUDGET_MS).toFixed(2)}`,
  );
}

function report(side: Side, t: Times): void {
  const panMedian = quantile(t.pan, 0.5);
  console.log(`\n${side.name}:`);
  line('switch, dashcam pane (1024x512)', t.single);
  line('  of which until the draw call (JS)', t.singleDrawCall);
  console.log(`textures uploaded during those switches: ${t.switchUploads} (every frame was shown once before)`);
  line('switch, both panes together', t.both);
  line(`  first visits (prefetched ${SETTLE_MS} ms)`, t.firstVisit);
  line('pan step, 3840x2160 frame', t.pan);
  console.log(`4K drag: ${(1000 / panMedian).toFixed(1)} frames/s at the median step; textures uploaded: ${t.panUploads}`);
  if (side.browser.consoleErrors.length > 0) console.log('console errors:', side.browser.consoleErrors);
}

async function main(): Promise<void> {
  const sides: Side[] = [];
  try {
    sides.push(await openSide('this build'));
    if (BASELINE) sides.push(await openSide(`baseline ${BASELINE}`, BASELINE));
    const times = sides.map((): Times => ({ firstVisit: [], single: [], singleDrawCall: [], both: [], pan: [], switchUploads: 0, panUploads: 0 }));
    const loads: number[] = [];
    // Opening a side leaves its server busy for a while (thumbnails); let that pass, then
    // take the sides in ABBA order so neither always runs just after the other.
    await new Promise((r) => setTimeout(r, 5000));
    for (let r = 0; r < ROUNDS; r++) {
      const order = [...sides.keys()];
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        await round(sides[i]!, times[i]!);
        loads.push(loadavg()[0]!);
      }
    }
    console.log(
      `\ncompare view, headless Chromium (SwiftShader), cached outputs, ${ROUNDS} rounds; ` +
        `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores`,
    );
    for (const [i, side] of sides.entries()) report(side, times[i]!);
    if (sides.length === 2) {
      const ratio = (pick: (t: Times) => number[]) => quantile(pick(times[0]!), 0.5) / quantile(pick(times[1]!), 0.5);
      console.log(`\nRATIO compare-switch single: ${ratio((t) => t.single).toFixed(2)} (this build / baseline, median)`);
      console.log(`RATIO compare-switch both: ${ratio((t) => t.both).toFixed(2)}`);
      console.log(`RATIO compare-switch first-visit: ${ratio((t) => t.firstVisit).toFixed(2)}`);
      console.log(`RATIO compare-switch pan: ${ratio((t) => t.pan).toFixed(2)}`);
    }
  } finally {
    for (const side of sides) {
      await side.browser.close();
      await side.server.stop();
      side.home.cleanup();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
