import { describe, expect, it } from 'vitest';
import {
  accumulate,
  addPixel,
  confusionOf,
  count,
  emptyConfusion,
  fromRows,
  fromSparse,
  scoresOf,
  sumConfusions,
  toRows,
  toSparse,
} from '../../../common/metrics';
import { SeededRng } from '../../../common/metrics/rng';

describe('confusion matrix and scores against hand-computed values', () => {
  // gt:   0 0 1 1 2 255      pred: 0 1 1 1 0 2
  const gt = [0, 0, 1, 1, 2, 255];
  const pred = [0, 1, 1, 1, 0, 2];

  it('counts rows as ground truth and columns as prediction, dropping ignore', () => {
    const cm = confusionOf(gt, pred, 3);
    expect(toRows(cm)).toEqual([
      [1, 1, 0, 0],
      [0, 2, 0, 0],
      [1, 0, 0, 0],
    ]);
  });

  it('computes IoU = TP / (TP + FP + FN), mIoU and pixel accuracy', () => {
    const s = scoresOf(confusionOf(gt, pred, 3));
    expect(s.iou[0]).toBeCloseTo(1 / 3, 12); // TP 1, FP 1 (gt 2 → 0), FN 1 (→ 1)
    expect(s.iou[1]).toBeCloseTo(2 / 3, 12); // TP 2, FP 1, FN 0
    expect(s.iou[2]).toBe(0); // TP 0, FN 1; the 255 pixel predicted as 2 is not a false positive
    expect(s.miou).toBeCloseTo(1 / 3, 12);
    expect(s.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    expect(s.gtPixels).toEqual([2, 2, 1]);
    expect(s.predPixels).toEqual([2, 3, 0]);
    expect(s.totalPixels).toBe(5);
  });

  it('leaves a class with neither ground truth nor prediction out of the mean', () => {
    const s = scoresOf(confusionOf(gt, pred, 5));
    expect(s.iou[3]).toBeNull();
    expect(s.iou[4]).toBeNull();
    expect(s.miou).toBeCloseTo(1 / 3, 12);
  });

  it('counts a prediction outside the classes as a miss for its ground-truth class', () => {
    const s = scoresOf(confusionOf([0, 0, 1], [0, 255, 1], 2));
    expect(s.iou[0]).toBeCloseTo(1 / 2, 12);
    expect(s.iou[1]).toBe(1);
    expect(s.pixelAccuracy).toBeCloseTo(2 / 3, 12);
  });

  it('has no scores at all without labelled pixels', () => {
    const s = scoresOf(confusionOf([255, 255], [0, 1], 3));
    expect(s.miou).toBeNull();
    expect(s.pixelAccuracy).toBeNull();
  });

  it('accepts weighted spots', () => {
    const cm = emptyConfusion(2);
    addPixel(cm, 0, 0, 2.5);
    addPixel(cm, 1, 0, 0.5);
    addPixel(cm, 255, 1, 100);
    expect(count(cm, 0, 0)).toBe(2.5);
    expect(count(cm, 1, 0)).toBe(0.5);
    expect(scoresOf(cm).iou).toEqual([2.5 / 3, 0]);
  });

  it('refuses masks of different sizes', () => {
    expect(() => accumulate(emptyConfusion(3), [0, 1], [0])).toThrow(/sizes differ/);
  });

  it('round-trips through the sparse and row forms', () => {
    const cm = confusionOf(gt, pred, 3);
    expect(toRows(fromSparse(toSparse(cm), 3))).toEqual(toRows(cm));
    expect(toRows(fromRows(toRows(cm)))).toEqual(toRows(cm));
    expect(toSparse(cm).index.length).toBe(4);
  });
});

/**
 * An independent implementation in the style of mmseg's intersect_and_union (bincount over
 * intersections, predictions and labels, then nanmean), written without the app's code.
 */
function referenceMiou(pairs: { gt: Uint8Array; pred: Uint8Array }[], classes: number) {
  const inter = new Array<number>(classes).fill(0);
  const areaPred = new Array<number>(classes).fill(0);
  const areaLabel = new Array<number>(classes).fill(0);
  let correct = 0;
  let labelled = 0;
  for (const { gt, pred } of pairs) {
    for (let i = 0; i < gt.length; i++) {
      const l = gt[i]!;
      if (l === 255) continue;
      const p = pred[i]!;
      labelled++;
      areaLabel[l]!++;
      if (p < classes) areaPred[p]!++;
      if (p === l) {
        inter[l]!++;
        correct++;
      }
    }
  }
  const iou = inter.map((x, k) => x / (areaPred[k]! + areaLabel[k]! - x));
  const valid = iou.filter((v) => !Number.isNaN(v));
  return { iou, miou: valid.reduce((a, b) => a + b, 0) / valid.length, acc: correct / labelled };
}

function randomMask(rng: SeededRng, n: number, ignoreShare: number, present: number[]): Uint8Array {
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < ignoreShare ? 255 : present[rng.below(present.length)]!;
  return m;
}

describe('against an independent implementation of the Cityscapes formula', () => {
  it('agrees on random masks summed over a dataset', () => {
    for (let trial = 0; trial < 20; trial++) {
      const rng = new SeededRng(1000 + trial);
      const classes = 19;
      // Some classes never appear, so the nanmean path is exercised.
      const present = Array.from({ length: classes }, (_, k) => k).filter(() => rng.next() < 0.7);
      if (present.length === 0) present.push(0);
      const predClasses = [...present, 255, rng.below(classes)];
      const pairs = Array.from({ length: 1 + rng.below(6) }, () => {
        const n = 50 + rng.below(400);
        return { gt: randomMask(rng, n, 0.1, present), pred: randomMask(rng, n, 0, predClasses) };
      });
      const ours = scoresOf(sumConfusions(pairs.map((p) => confusionOf(p.gt, p.pred))));
      const ref = referenceMiou(pairs, classes);
      ref.iou.forEach((v, k) => {
        if (Number.isNaN(v)) expect(ours.iou[k]).toBeNull();
        else expect(ours.iou[k]).toBeCloseTo(v, 12);
      });
      expect(ours.miou).toBeCloseTo(ref.miou, 12);
      expect(ours.pixelAccuracy).toBeCloseTo(ref.acc, 12);
    }
  });

  it('is a dataset-level IoU, not a mean of per-frame IoUs', () => {
    const a = { gt: Uint8Array.from([0, 0, 0, 0]), pred: Uint8Array.from([0, 0, 0, 0]) };
    const b = { gt: Uint8Array.from([0, 1]), pred: Uint8Array.from([1, 1]) };
    const dataset = scoresOf(sumConfusions([confusionOf(a.gt, a.pred, 2), confusionOf(b.gt, b.pred, 2)]));
    // class 0: TP 4, FN 1 → 0.8; class 1: TP 1, FP 1 → 0.5
    expect(dataset.miou).toBeCloseTo(0.65, 12);
    const perFrame = (scoresOf(confusionOf(a.gt, a.pred, 2)).miou! + scoresOf(confusionOf(b.gt, b.pred, 2)).miou!) / 2;
    expect(perFrame).not.toBeCloseTo(0.65, 3);
  });
});
