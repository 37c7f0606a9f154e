/**
 * Paired bootstrap over frames for "candidate minus baseline". Frames, not pixels, are the
 * resampling unit: pixels within a frame are strongly correlated, so resampling pixels would
 * give intervals that are far too narrow. Each resample redraws the frames with replacement,
 * rebuilds both dataset-level confusion matrices and recomputes the scores, so the interval
 * covers the same statistic the app reports (dataset mIoU, not a mean of per-frame IoUs).
 */
import { addSparse, emptyConfusion, type SparseConfusion } from './confusion';
import { SeededRng } from './rng';
import { scoresOf } from './scores';
import { NUM_TRAIN_CLASSES } from '../classes';

export interface PairedFrame {
  readonly baseline: SparseConfusion;
  readonly candidate: SparseConfusion;
}

export interface DiffInterval {
  /** The difference on the data as observed; null where either side has no score. */
  readonly estimate: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

export interface BootstrapResult {
  readonly miou: DiffInterval;
  readonly pixelAccuracy: DiffInterval;
  readonly perClass: DiffInterval[];
  readonly resamples: number;
  readonly frames: number;
  readonly level: number;
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly seed?: number;
  /** Two-sided coverage, 0.95 for a 95% interval. */
  readonly level?: number;
  readonly classes?: number;
}

/** A class difference needs a score in most resamples before an interval means anything. */
const MIN_DEFINED_SHARE = 0.5;

export function bootstrapDifference(frames: readonly PairedFrame[], options: BootstrapOptions = {}): BootstrapResult {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const classes = options.classes ?? NUM_TRAIN_CLASSES;
  const n = frames.length;
  const observed = difference(frames, null, classes);
  if (n < 2) {
    const point = (estimate: number | null): DiffInterval => ({ estimate, low: null, high: null });
    return {
      miou: point(observed.miou),
      pixelAccuracy: point(observed.pixelAccuracy),
      perClass: observed.perClass.map(point),
      resamples: 0,
      frames: n,
      level,
    };
  }
  const rng = new SeededRng(options.seed ?? 1);
  const miou: number[] = [];
  const accuracy: number[] = [];
  const perClass: number[][] = Array.from({ length: classes }, () => []);
  const weights = new Uint32Array(n);
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[rng.below(n)]! += 1;
    const d = difference(frames, weights, classes);
    if (d.miou !== null) miou.push(d.miou);
    if (d.pixelAccuracy !== null) accuracy.push(d.pixelAccuracy);
    d.perClass.forEach((v, k) => {
      if (v !== null) perClass[k]!.push(v);
    });
  }
  const interval = (estimate: number | null, draws: number[]): DiffInterval => {
    if (estimate === null || draws.length < MIN_DEFINED_SHARE * resamples) return { estimate, low: null, high: null };
    draws.sort((x, y) => x - y);
    return { estimate, low: quantile(draws, (1 - level) / 2), high: quantile(draws, 1 - (1 - level) / 2) };
  };
  return {
    miou: interval(observed.miou, miou),
    pixelAccuracy: interval(observed.pixelAccuracy, accuracy),
    perClass: observed.perClass.map((estimate, k) => interval(estimate, perClass[k]!)),
    resamples,
    frames: n,
    level,
  };
}

interface Difference {
  miou: number | null;
  pixelAccuracy: number | null;
  perClass: (number | null)[];
}

function difference(frames: readonly PairedFrame[], weights: Uint32Array | null, classes: number): Difference {
  const a = emptyConfusion(classes);
  const b = emptyConfusion(classes);
  frames.forEach((frame, i) => {
    const w = weights ? weights[i]! : 1;
    if (w === 0) return;
    addSparse(a, frame.baseline, w);
    addSparse(b, frame.candidate, w);
  });
  const sa = scoresOf(a);
  const sb = scoresOf(b);
  return {
    miou: sa.miou !== null && sb.miou !== null ? sb.miou - sa.miou : null,
    pixelAccuracy: sa.pixelAccuracy !== null && sb.pixelAccuracy !== null ? sb.pixelAccuracy - sa.pixelAccuracy : null,
    perClass: sa.iou.map((x, k) => (x !== null && sb.iou[k] !== null ? sb.iou[k]! - x : null)),
  };
}

/** Linear interpolation between order statistics (R's type 7, NumPy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of an empty sample');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
