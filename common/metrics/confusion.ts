/**
 * Confusion matrices as the Cityscapes evaluation builds them: one matrix summed over the
 * whole dataset, rows = ground truth, columns = prediction. Pixels whose ground truth is
 * outside the evaluated classes (255, ignore) are dropped. A prediction outside the classes
 * (255 from a model that abstains) still counts against its ground-truth class, as in
 * mmseg's histogram-based evaluation, so it gets one extra "no class" column.
 */
import { NUM_TRAIN_CLASSES } from '../classes';

export interface Confusion {
  readonly classes: number;
  /** Row-major, `classes` rows × (`classes` + 1) columns; the last column is "no valid class". */
  readonly counts: Float64Array;
}

/** A per-frame matrix stored as its non-zero cells: frames touch few class pairs. */
export interface SparseConfusion {
  readonly index: Uint32Array;
  readonly value: Float64Array;
}

export function emptyConfusion(classes: number = NUM_TRAIN_CLASSES): Confusion {
  return { classes, counts: new Float64Array(classes * (classes + 1)) };
}

export function cellIndex(cm: Confusion, gt: number, pred: number): number {
  const col = pred >= 0 && pred < cm.classes ? pred : cm.classes;
  return gt * (cm.classes + 1) + col;
}

export function count(cm: Confusion, gt: number, pred: number): number {
  return cm.counts[cellIndex(cm, gt, pred)]!;
}

/** Adds one labelled pixel (or a weighted spot); ignored ground truth is dropped. */
export function addPixel(cm: Confusion, gt: number, pred: number, weight = 1): void {
  if (!(gt >= 0 && gt < cm.classes)) return;
  cm.counts[cellIndex(cm, gt, pred)]! += weight;
}

/** Adds a whole mask pair; both are trainId arrays of the same length (ground-truth resolution). */
export function accumulate(cm: Confusion, gt: ArrayLike<number>, pred: ArrayLike<number>): Confusion {
  if (gt.length !== pred.length) {
    throw new Error(`mask sizes differ: ground truth ${gt.length} pixels, prediction ${pred.length}`);
  }
  const c = cm.classes;
  const stride = c + 1;
  const counts = cm.counts;
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i]!;
    if (g >= c) continue;
    const p = pred[i]!;
    counts[g * stride + (p < c ? p : c)]! += 1;
  }
  return cm;
}

export function confusionOf(gt: ArrayLike<number>, pred: ArrayLike<number>, classes = NUM_TRAIN_CLASSES): Confusion {
  return accumulate(emptyConfusion(classes), gt, pred);
}

export function addInto(target: Confusion, source: Confusion, times = 1): Confusion {
  if (target.classes !== source.classes) throw new Error('confusion matrices of different class counts');
  for (let i = 0; i < target.counts.length; i++) target.counts[i]! += times * source.counts[i]!;
  return target;
}

export function sumConfusions(items: readonly Confusion[], classes = items[0]?.classes ?? NUM_TRAIN_CLASSES): Confusion {
  const total = emptyConfusion(classes);
  for (const item of items) addInto(total, item);
  return total;
}

export function toSparse(cm: Confusion): SparseConfusion {
  const index: number[] = [];
  const value: number[] = [];
  cm.counts.forEach((v, i) => {
    if (v !== 0) {
      index.push(i);
      value.push(v);
    }
  });
  return { index: Uint32Array.from(index), value: Float64Array.from(value) };
}

export function addSparse(target: Confusion, sparse: SparseConfusion, times = 1): void {
  for (let k = 0; k < sparse.index.length; k++) target.counts[sparse.index[k]!]! += times * sparse.value[k]!;
}

export function fromSparse(sparse: SparseConfusion, classes = NUM_TRAIN_CLASSES): Confusion {
  const cm = emptyConfusion(classes);
  addSparse(cm, sparse);
  return cm;
}

/** The matrix as rows of plain numbers (for JSON replies and exports). */
export function toRows(cm: Confusion): number[][] {
  const stride = cm.classes + 1;
  return Array.from({ length: cm.classes }, (_, g) => Array.from(cm.counts.subarray(g * stride, (g + 1) * stride)));
}

export function fromRows(rows: readonly (readonly number[])[]): Confusion {
  const cm = emptyConfusion(rows.length);
  rows.forEach((row, g) => {
    if (row.length !== rows.length + 1) throw new Error(`confusion row ${g} has ${row.length} cells, expected ${rows.length + 1}`);
    cm.counts.set(row, g * (rows.length + 1));
  });
  return cm;
}
