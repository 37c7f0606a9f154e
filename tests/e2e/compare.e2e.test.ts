import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAIN_CLASSES } from '../../common/classes';
import {
  afterRender,
  changedPixels,
  pixelsWhere,
  readCanvas,
  rgbAt,
  sameRgb,
  symmetricDifference,
  watchCanvas,
  type Pixels,
  type Rgb,
} from './support/canvasPixels';
import { seedCompareProject, type SeededProject } from './support/compareProject';
import { CLASS } from './support/compareScene';
import { turboRgb } from '../../renderer/src/views/compare/viewer/shaders';
import { openBrowser, startServer, tempHome, type Browser, type RunningServer } from './support/webApp';

const CANVAS = 'canvas-dashcam';
const BACKGROUND: Rgb = [11, 12, 16];
const HIGHLIGHT: Rgb = [255, 46, 136];
const CAR = TRAIN_CLASSES[CLASS.car]!.colour;

describe('compare view in browser mode', () => {
  const home = tempHome();
  let server: RunningServer;
  let browser: Browser;
  let seeded: SeededProject;
  /** The dashcam pane drawing source-only's and adapted's masks at full opacity. */
  let maskA: Pixels;
  let maskB: Pixels;
  let splitBefore: Pixels;

  const page = () => browser.page;
  const click = (testId: string) => afterRender(page(), CANVAS, () => page().getByTestId(testId).click());
  const inImage = (p: Pixels, x: number, y: number) => !sameRgb(rgbAt(p, x, y), BACKGROUND);

  beforeAll(async () => {
    server = await startServer(home.path, ['--no-demo']);
    seeded = await seedCompareProject(server, home.path, {
      projectName: 'Compare test',
      width: 512,
      height: 256,
      simFrames: 3,
      dashcamFrames: 4,
    });
    browser = await openBrowser();
    await page().goto(server.url);
    await page().goto(`${server.origin}/#/compare`);
    const first = seeded.dashcam[0]!;
    await page().waitForFunction(
      (id) => document.querySelector<HTMLCanvasElement>('[data-testid="canvas-dashcam"]')?.dataset.frameId === String(id),
      first.id,
    );
    await watchCanvas(page(), CANVAS);
    await watchCanvas(page(), 'canvas-sim');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    home.cleanup();
  });

  it('opens on the first frames of both folders with both models listed', async () => {
    await expect.poll(() => page().getByTestId('frame-name-dashcam').textContent()).toBe(seeded.dashcam[0]!.relPath);
    await expect.poll(() => page().getByTestId('frame-name-sim').textContent()).toBe(seeded.sim[0]!.relPath);
    await expect.poll(() => page().getByLabel('Source-only', { exact: true }).inputValue()).toBe(String(seeded.models.a));
    expect(await page().getByLabel('Adapted', { exact: true }).inputValue()).toBe(String(seeded.models.b));
  });

  it('hiding a class changes exactly the pixels drawn in that class', async () => {
    await page().getByTestId('frame-name-dashcam').click();
    await click('mode-dashcam-mask');
    await click('model-dashcam-a');
    await afterRender(page(), CANVAS, () => page().getByTestId('opacity-dashcam').press('End'));
    maskA = await readCanvas(page(), CANVAS);
    const carPixels = pixelsWhere(maskA, (x, y) => sameRgb(rgbAt(maskA, x, y), CAR));
    // The seeded mask's car area, scaled by how the image was fitted to the canvas.
    const scale = Math.min(maskA.width / 512, maskA.height / 256);
    const seededCars = seeded.dashcam[0]!.scene.a.filter((c) => c === CLASS.car).length;
    expect(carPixels.size).toBeGreaterThan(seededCars * scale * scale * 0.9);
    expect(carPixels.size).toBeLessThan(seededCars * scale * scale * 1.1);

    await afterRender(page(), CANVAS, () => page().getByRole('checkbox', { name: 'car', exact: true }).click());
    const hidden = await readCanvas(page(), CANVAS);
    expect(symmetricDifference(changedPixels(maskA, hidden), carPixels)).toEqual([]);

    await afterRender(page(), CANVAS, () => page().getByRole('checkbox', { name: 'car', exact: true }).click());
    expect(changedPixels(maskA, await readCanvas(page(), CANVAS)).size).toBe(0);
  });

  it('split mode draws source-only left of the divider and adapted right of it', async () => {
    await click('model-dashcam-b');
    maskB = await readCanvas(page(), CANVAS);
    expect(changedPixels(maskA, maskB).size).toBeGreaterThan(1000);
    await click('mode-dashcam-split');
    splitBefore = await readCanvas(page(), CANVAS);
    const split = Number(await page().getByTestId('split-divider').getAttribute('data-split'));
    const expected = (x: number, y: number) => (x + 0.5 < split * maskA.width ? rgbAt(maskA, x, y) : rgbAt(maskB, x, y));
    const wrong = pixelsWhere(splitBefore, (x, y) => !sameRgb(rgbAt(splitBefore, x, y), expected(x, y)));
    expect(wrong.size).toBe(0);
  });

  it('moving the divider changes exactly the pixels between its two positions where the models differ', async () => {
    const before = Number(await page().getByTestId('split-divider').getAttribute('data-split'));
    const box = (await page().getByTestId('split-divider').boundingBox())!;
    await afterRender(page(), CANVAS, async () => {
      await page().mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page().mouse.down();
      await page().mouse.move(box.x + box.width / 2 - maskA.width * 0.25, box.y + box.height / 2, { steps: 4 });
      await page().mouse.up();
    });
    const after = Number(await page().getByTestId('split-divider').getAttribute('data-split'));
    expect(after).toBeLessThan(before - 0.2);
    const moved = await readCanvas(page(), CANVAS);
    const band = (x: number) => x + 0.5 >= after * maskA.width && x + 0.5 < before * maskA.width;
    const expected = pixelsWhere(maskA, (x, y) => band(x) && !sameRgb(rgbAt(maskA, x, y), rgbAt(maskB, x, y)));
    expect(expected.size).toBeGreaterThan(100);
    expect(symmetricDifference(changedPixels(splitBefore, moved), expected)).toEqual([]);
    splitBefore = moved;
  });

  it('disagreement mode highlights exactly the pixels where the two models differ', async () => {
    await click('mode-dashcam-disagreement');
    const diff = await readCanvas(page(), CANVAS);
    const differ = pixelsWhere(maskA, (x, y) => !sameRgb(rgbAt(maskA, x, y), rgbAt(maskB, x, y)));
    const highlighted = pixelsWhere(diff, (x, y) => sameRgb(rgbAt(diff, x, y), HIGHLIGHT));
    expect(symmetricDifference(highlighted, differ)).toEqual([]);
    // Where they agree the image is dimmed to grey, and the canvas outside it is untouched.
    const wrong = pixelsWhere(diff, (x, y) => {
      const [r, g, b] = rgbAt(diff, x, y);
      if (!inImage(maskA, x, y)) return !sameRgb([r, g, b], BACKGROUND);
      return !highlighted.has(y * diff.width + x) && !(r === g && g === b);
    });
    expect(wrong.size).toBe(0);
    // And the highlighted share matches the seeded disagreement.
    const imagePixels = pixelsWhere(maskA, (x, y) => inImage(maskA, x, y)).size;
    expect(highlighted.size / imagePixels).toBeCloseTo(seeded.dashcam[0]!.disagreement, 2);
  });

  it('hovering reads each model’s class and confidence at that pixel', async () => {
    const { scene } = seeded.dashcam[0]!;
    // A pixel inside the near car's left half: source-only says building, adapted says car.
    let target: { x: number; y: number } | null = null;
    for (let y = 8; y < scene.height - 8 && !target; y++) {
      for (let x = 8; x < scene.width - 8 && !target; x++) {
        const i = y * scene.width + x;
        if (scene.a[i] === CLASS.building && scene.b[i] === CLASS.car && scene.confidenceA[i] === 190) target = { x, y };
      }
    }
    expect(target).not.toBeNull();
    const box = (await page().getByTestId(CANVAS).boundingBox())!;
    const scale = Math.min(box.width / scene.width, box.height / scene.height);
    const left = box.x + (box.width - scene.width * scale) / 2;
    const top = box.y + (box.height - scene.height * scale) / 2;
    await page().mouse.move(left + (target!.x + 0.5) * scale, top + (target!.y + 0.5) * scale);
    const readout = page().getByTestId('hover-readout');
    await expect.poll(() => readout.textContent()).toContain('building 75%');
    expect(await readout.textContent()).toMatch(/AdaptSegNet.*car (93|38)%/);
  });

  it('ground truth and confidence modes draw the label and the confidence map', async () => {
    const SIM = 'canvas-sim';
    const { scene } = seeded.sim[0]!;
    await page().getByTestId('frame-name-sim').click();
    await afterRender(page(), SIM, () => page().getByTestId('mode-sim-groundTruth').click());
    await afterRender(page(), SIM, () => page().getByTestId('opacity-sim').press('End'));
    const gt = await readCanvas(page(), SIM);
    const scale = Math.min(gt.width / scene.width, gt.height / scene.height);
    // The label went through the dataset reader (GTA5 labelIds to trainIds) and the label route.
    for (const trainId of [CLASS.road, CLASS.sky, CLASS.car, CLASS.person]) {
      const colour = TRAIN_CLASSES[trainId]!.colour;
      const drawn = pixelsWhere(gt, (x, y) => sameRgb(rgbAt(gt, x, y), colour)).size;
      const expected = scene.gt.filter((c) => c === trainId).length * scale * scale;
      expect(drawn / expected).toBeGreaterThan(0.93);
      expect(drawn / expected).toBeLessThan(1.07);
    }

    // Adapted's confidence is 236/255 away from class edges: most of the frame is that colour.
    await afterRender(page(), SIM, () => page().getByTestId('mode-sim-confidence').click());
    const heat = await readCanvas(page(), SIM);
    const [r, g, b] = turboRgb(236 / 255);
    const near = (p: Rgb) => Math.abs(p[0] - r) <= 2 && Math.abs(p[1] - g) <= 2 && Math.abs(p[2] - b) <= 2;
    const image = pixelsWhere(heat, (x, y) => inImage(heat, x, y)).size;
    expect(pixelsWhere(heat, (x, y) => near(rgbAt(heat, x, y))).size / image).toBeGreaterThan(0.6);
  });

  it('zooming one pane zooms the other while linked, only itself when not, and uploads no texture', async () => {
    const SIM = 'canvas-sim';
    const uploads = async () => [
      await page().getByTestId(CANVAS).getAttribute('data-texture-uploads'),
      await page().getByTestId(SIM).getAttribute('data-texture-uploads'),
    ];
    const before = await uploads();
    const simBefore = await readCanvas(page(), SIM);
    const box = (await page().getByTestId(CANVAS).boundingBox())!;
    await page().mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
    await afterRender(page(), SIM, () => page().mouse.wheel(0, -400));
    expect(changedPixels(simBefore, await readCanvas(page(), SIM)).size).toBeGreaterThan(10_000);
    expect(await uploads()).toEqual(before);

    await page().getByLabel('Link pan/zoom').uncheck();
    const simSeq = await page().getByTestId(SIM).getAttribute('data-render-seq');
    await page().mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
    await afterRender(page(), CANVAS, () => page().mouse.wheel(0, 250));
    await page().waitForTimeout(300);
    expect(await page().getByTestId(SIM).getAttribute('data-render-seq')).toBe(simSeq);

    // Linking again snaps the other pane to this one; a double-click fits both again.
    await page().getByLabel('Link pan/zoom').check();
    await afterRender(page(), SIM, () => page().getByTestId(CANVAS).dblclick());
    expect(changedPixels(simBefore, await readCanvas(page(), SIM)).size).toBe(0);
    expect(await uploads()).toEqual(before);
  });

  it('steps frames with the keyboard, sorts by disagreement and filters by label status', async () => {
    await page().getByTestId('frame-name-dashcam').click();
    await page().keyboard.press('ArrowRight');
    await expect.poll(() => page().getByTestId('frame-name-dashcam').textContent()).toBe(seeded.dashcam[1]!.relPath);
    await page().waitForFunction((id) => document.querySelector<HTMLCanvasElement>('[data-testid="canvas-dashcam"]')?.dataset.frameId === String(id), seeded.dashcam[1]!.id);
    // Only the active pane stepped.
    expect(await page().getByTestId('frame-name-sim').textContent()).toBe(seeded.sim[0]!.relPath);

    await page().getByLabel('Sort frames').selectOption('disagreement');
    const byDisagreement = [...seeded.dashcam].sort((a, b) => b.disagreement - a.disagreement).map((f) => f.relPath);
    await expect.poll(() => page().getByTestId('film-item').evaluateAll((items) => items.map((i) => i.getAttribute('title')))).toEqual(byDisagreement);
    // Re-sorting keeps the frame the user was on.
    expect(await page().getByTestId('frame-name-dashcam').textContent()).toBe(seeded.dashcam[1]!.relPath);

    await page().getByLabel('Label status').selectOption('yes');
    await expect.poll(() => page().getByTestId('pane-dashcam').textContent()).toContain('No frames match the filter.');
    await expect.poll(() => page().getByTestId('frame-name-sim').textContent()).toBe(seeded.sim[0]!.relPath);
    await page().getByLabel('Label status').selectOption('all');
    await page().getByLabel('Sort frames').selectOption('index');
    await expect.poll(() => page().getByTestId('film-item').count()).toBe(seeded.dashcam.length);
  });

  it('logged no errors in the page', () => {
    expect(browser.consoleErrors).toEqual([]);
  });
});
