/**
 * Scores from a dataset-level confusion matrix, exactly as cityscapesScripts and mmseg
 * compute them: IoU_c = TP / (TP + FP + FN); a class with TP + FP + FN = 0 has no IoU
 * (NaN there, null here so it survives JSON) and is left out of the mean.
 */
import type { Confusion } from './confusion';

export interface Scores {
  /** Per class; null where the class has neither ground truth nor prediction. */
  readonly iou: (number | null)[];
  readonly miou: number | null;
  /** Correct pixels over all pixels with valid ground truth. */
  readonly pixelAccuracy: number | null;
  /** Ground-truth pixels per class (row sums). */
  readonly gtPixels: number[];
  /** Pixels predicted as each class among those with valid ground truth (column sums). */
  readonly predPixels: number[];
  readonly totalPixels: number;
}

export function classIoU(cm: Confusion): (number | null)[] {
  const c = cm.classes;
  const stride = c + 1;
  const row = new Float64Array(c);
  const col = new Float64Array(c);
  for (let g = 0; g < c; g++) {
    for (let p = 0; p <= c; p++) {
      const v = cm.counts[g * stride + p]!;
      row[g]! += v;
      if (p < c) col[p]! += v;
    }
  }
  const iou: (number | null)[] = [];
  for (let k = 0; k < c; k++) {
    const tp = cm.counts[k * stride + k]!;
    const denominator = row[k]! + col[k]! - tp;
    iou.push(denominator > 0 ? tp / denominator : null);
  }
  return iou;
}

export function meanIoU(iou: readonly (number | null)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of iou) {
    if (v !== null) {
      sum += v;
      n += 1;
    }
  }
  return n > 0 ? sum / n : null;
}

export function scoresOf(cm: Confusion): Scores {
  const c = cm.classes;
  const stride = c + 1;
  const gtPixels = new Array<number>(c).fill(0);
  const predPixels = new Array<number>(c).fill(0);
  let total = 0;
  let correct = 0;
  for (let g = 0; g < c; g++) {
    for (let p = 0; p <= c; p++) {
      const v = cm.counts[g * stride + p]!;
      gtPixels[g]! += v;
      if (p < c) predPixels[p]! += v;
      total += v;
    }
    correct += cm.counts[g * stride + g]!;
  }
  const iou = classIoU(cm);
  return { iou, miou: meanIoU(iou), pixelAccuracy: total > 0 ? correct / total : null, gtPixels, predPixels, totalPixels: total };
}
