/**
 * Editing operations on a label mask (one trainId byte per pixel, 255 = unlabelled).
 * Pure functions over typed arrays so the painter's behaviour is unit-tested without a
 * browser; the view only turns pointer events into calls here.
 */

export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export function createMask(width: number, height: number, fill = 255): Mask {
  return { width, height, data: new Uint8Array(width * height).fill(fill) };
}

/**
 * Paints a round-capped stroke segment of the given radius: every pixel whose centre lies
 * within `radius` of the segment. Painting segment by segment keeps fast strokes gap-free.
 */
export function paintSegment(mask: Mask, from: Point, to: Point, radius: number, value: number): void {
  const r = Math.max(0.5, radius);
  const x0 = Math.max(0, Math.floor(Math.min(from.x, to.x) - r));
  const x1 = Math.min(mask.width - 1, Math.ceil(Math.max(from.x, to.x) + r));
  const y0 = Math.max(0, Math.floor(Math.min(from.y, to.y) - r));
  const y1 = Math.min(mask.height - 1, Math.ceil(Math.max(from.y, to.y) + r));
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - from.x) * dx + (py - from.y) * dy) / len2)) : 0;
      const ex = px - (from.x + t * dx);
      const ey = py - (from.y + t * dy);
      if (ex * ex + ey * ey <= r2) mask.data[y * mask.width + x] = value;
    }
  }
}

/** Fills a polygon by the even-odd rule, sampling at pixel centres. Returns pixels set. */
export function fillPolygon(mask: Mask, points: readonly Point[], value: number): number {
  if (points.length < 3) return 0;
  let set = 0;
  const ys = points.map((p) => p.y);
  const yStart = Math.max(0, Math.floor(Math.min(...ys)));
  const yEnd = Math.min(mask.height - 1, Math.ceil(Math.max(...ys)));
  const crossings: number[] = [];
  for (let y = yStart; y <= yEnd; y++) {
    const cy = y + 0.5;
    crossings.length = 0;
    for (let i = 0; i < points.length; i++) {
      const a = points[i]!;
      const b = points[(i + 1) % points.length]!;
      if (a.y <= cy === b.y <= cy) continue;
      crossings.push(a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    crossings.sort((p, q) => p - q);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      // Pixel x is inside when its centre x + 0.5 lies in [left, right).
      const xs = Math.max(0, Math.ceil(crossings[k]! - 0.5));
      const xe = Math.min(mask.width - 1, Math.ceil(crossings[k + 1]! - 0.5) - 1);
      for (let x = xs; x <= xe; x++) {
        mask.data[y * mask.width + x] = value;
        set++;
      }
    }
  }
  return set;
}

/**
 * Flood fill by colour: the 4-connected region around the seed whose RGB differs from the
 * seed's colour by at most `tolerance` in every channel. `rgba` is the frame's pixels.
 */
export function floodFillByColour(mask: Mask, rgba: Uint8ClampedArray | Uint8Array, seed: Point, tolerance: number, value: number): number {
  const { width, height } = mask;
  const sx = Math.floor(seed.x);
  const sy = Math.floor(seed.y);
  if (sx < 0 || sy < 0 || sx >= width || sy >= height) return 0;
  const s = (sy * width + sx) * 4;
  const r0 = rgba[s]!;
  const g0 = rgba[s + 1]!;
  const b0 = rgba[s + 2]!;
  const similar = (i: number) =>
    Math.abs(rgba[i * 4]! - r0) <= tolerance &&
    Math.abs(rgba[i * 4 + 1]! - g0) <= tolerance &&
    Math.abs(rgba[i * 4 + 2]! - b0) <= tolerance;
  return fillRegion(mask, sy * width + sx, similar, value);
}

/** Fills every pixel of the superpixel under the seed (connected to it through that superpixel). */
export function fillSuperpixel(mask: Mask, segments: Int32Array, seed: Point, value: number): number {
  const sx = Math.floor(seed.x);
  const sy = Math.floor(seed.y);
  if (sx < 0 || sy < 0 || sx >= mask.width || sy >= mask.height) return 0;
  const start = sy * mask.width + sx;
  const id = segments[start];
  return fillRegion(mask, start, (i) => segments[i] === id, value);
}

function fillRegion(mask: Mask, start: number, inside: (i: number) => boolean, value: number): number {
  const { width, height, data } = mask;
  const seen = new Uint8Array(width * height);
  const stack = [start];
  seen[start] = 1;
  let set = 0;
  while (stack.length > 0) {
    const i = stack.pop()!;
    data[i] = value;
    set++;
    const x = i % width;
    const y = (i - x) / width;
    const visit = (j: number) => {
      if (!seen[j] && inside(j)) {
        seen[j] = 1;
        stack.push(j);
      }
    };
    if (x > 0) visit(i - 1);
    if (x < width - 1) visit(i + 1);
    if (y > 0) visit(i - width);
    if (y < height - 1) visit(i + width);
  }
  return set;
}

interface Edit {
  readonly index: Uint32Array;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/**
 * Undo/redo for one mask. Each edit keeps only the pixels it changed (a stroke touches a
 * tiny share of a frame), so a long session does not hold a full copy per step.
 */
export class MaskHistory {
  private readonly undoStack: Edit[] = [];
  private readonly redoStack: Edit[] = [];
  private snapshot: Uint8Array | null = null;

  constructor(private readonly limit = 200) {}

  /** Call before an edit starts. */
  begin(mask: Mask): void {
    this.snapshot = mask.data.slice();
  }

  /** Call when the edit ends; returns false when nothing changed. */
  commit(mask: Mask): boolean {
    const before = this.snapshot;
    this.snapshot = null;
    if (!before) return false;
    const changed: number[] = [];
    for (let i = 0; i < before.length; i++) if (before[i] !== mask.data[i]) changed.push(i);
    if (changed.length === 0) return false;
    const index = Uint32Array.from(changed);
    this.undoStack.push({
      index,
      before: Uint8Array.from(changed, (i) => before[i]!),
      after: Uint8Array.from(changed, (i) => mask.data[i]!),
    });
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack.length = 0;
    return true;
  }

  undo(mask: Mask): boolean {
    const edit = this.undoStack.pop();
    if (!edit) return false;
    edit.index.forEach((i, k) => (mask.data[i] = edit.before[k]!));
    this.redoStack.push(edit);
    return true;
  }

  redo(mask: Mask): boolean {
    const edit = this.redoStack.pop();
    if (!edit) return false;
    edit.index.forEach((i, k) => (mask.data[i] = edit.after[k]!));
    this.undoStack.push(edit);
    return true;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  clear(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.snapshot = null;
  }
}
