import type { Page } from 'playwright-core';

/** A canvas read back as RGBA, the way the user sees it. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

/**
 * Keeps a copy of what a viewer canvas shows, read right after each of its draws: the
 * viewer does not preserve its drawing buffer, so once the page composites, the canvas
 * can no longer be read. Call once per canvas, before the draws a test reads.
 */
export async function watchCanvas(page: Page, testId: string): Promise<void> {
  await page.evaluate((id) => {
    const store = ((window as unknown as { __s2rPixels?: Record<string, unknown> }).__s2rPixels ??= {});
    const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`);
    if (!canvas) throw new Error(`no canvas ${id}`);
    const gl = canvas.getContext('webgl2')!;
    // Mutation observers run in the draw's own task, while the drawing buffer still holds it.
    new MutationObserver(() => {
      const { width, height } = canvas;
      const data = new Uint8Array(width * height * 4);
      gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, data);
      store[id] = { width, height, data };
    }).observe(canvas, { attributes: true, attributeFilter: ['data-render-seq'] });
  }, testId);
}

/** The canvas as of its last draw since watchCanvas, top row first. */
export async function readCanvas(page: Page, testId: string): Promise<Pixels> {
  const { width, height, base64 } = await page.evaluate((id) => {
    const store = (window as unknown as { __s2rPixels?: Record<string, { width: number; height: number; data: Uint8Array }> })
      .__s2rPixels;
    const shot = store?.[id];
    if (!shot) throw new Error(`canvas ${id} has not drawn since watchCanvas`);
    let text = '';
    for (let i = 0; i < shot.data.length; i += 0x8000) text += String.fromCharCode(...shot.data.subarray(i, i + 0x8000));
    return { width: shot.width, height: shot.height, base64: btoa(text) };
  }, testId);
  const bottomUp = Buffer.from(base64, 'base64');
  // readPixels returns the bottom row first.
  const data = new Uint8Array(bottomUp.length);
  const stride = width * 4;
  for (let y = 0; y < height; y++) data.set(bottomUp.subarray((height - 1 - y) * stride, (height - y) * stride), y * stride);
  return { width, height, data };
}

export function rgbAt(p: Pixels, x: number, y: number): Rgb {
  const i = (y * p.width + x) * 4;
  return [p.data[i]!, p.data[i + 1]!, p.data[i + 2]!];
}

export const sameRgb = (a: Rgb, b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Indices (y * width + x) of pixels where `keep` holds. */
export function pixelsWhere(p: Pixels, keep: (x: number, y: number) => boolean): Set<number> {
  const out = new Set<number>();
  for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (keep(x, y)) out.add(y * p.width + x);
  return out;
}

export function changedPixels(before: Pixels, after: Pixels): Set<number> {
  if (before.width !== after.width || before.height !== after.height) throw new Error('the canvas changed size');
  return pixelsWhere(before, (x, y) => !sameRgb(rgbAt(before, x, y), rgbAt(after, x, y)));
}

/** Pixels in one set and not the other, both ways: empty when the sets are equal. */
export function symmetricDifference(a: Set<number>, b: Set<number>): number[] {
  const out: number[] = [];
  for (const v of a) if (!b.has(v)) out.push(v);
  for (const v of b) if (!a.has(v)) out.push(v);
  return out;
}

/** Waits until the pane's viewer has drawn again after `action`. */
export async function afterRender(page: Page, testId: string, action: () => Promise<void>): Promise<void> {
  const before = await page.getByTestId(testId).getAttribute('data-render-seq');
  await action();
  await page.waitForFunction(
    ([id, seq]) => document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"]`)?.dataset.renderSeq !== seq,
    [testId, before] as const,
  );
}
