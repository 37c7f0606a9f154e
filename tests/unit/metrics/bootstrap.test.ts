import { describe, expect, it } from 'vitest';
import { bootstrapDifference, confusionOf, quantile, toSparse, type PairedFrame } from '../../../common/metrics';
import { SeededRng } from '../../../common/metrics/rng';
import { moreToSettle, signedPoints, verdictOf } from '../../../common/metrics/verdict';

/** Frames where the candidate is right with probability pCand and the baseline with pBase. */
function frames(seed: number, n: number, pBase: number, pCand: number, pixels = 200): PairedFrame[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: n }, () => {
    const gt = Uint8Array.from({ length: pixels }, () => rng.below(3));
    const guess = (p: number) => gt.map((g) => (rng.next() < p ? g : (g + 1 + rng.below(2)) % 3));
    return { baseline: toSparse(confusionOf(gt, guess(pBase), 3)), candidate: toSparse(confusionOf(gt, guess(pCand), 3)) };
  });
}

describe('paired bootstrap over frames', () => {
  it('is reproducible from its seed', () => {
    const data = frames(1, 20, 0.6, 0.65);
    const a = bootstrapDifference(data, { seed: 7, resamples: 300, classes: 3 });
    const b = bootstrapDifference(data, { seed: 7, resamples: 300, classes: 3 });
    const c = bootstrapDifference(data, { seed: 8, resamples: 300, classes: 3 });
    expect(a).toEqual(b);
    expect(c.miou.low).not.toBe(a.miou.low);
  });

  it('gives a zero-width interval when the two models agree everywhere', () => {
    const data = frames(2, 10, 0.7, 0.7).map((f) => ({ baseline: f.baseline, candidate: f.baseline }));
    const r = bootstrapDifference(data, { resamples: 200, classes: 3 });
    expect(r.miou).toEqual({ estimate: 0, low: 0, high: 0 });
  });

  it('finds a clear improvement and brackets the observed difference', () => {
    const r = bootstrapDifference(frames(3, 30, 0.5, 0.8), { resamples: 500, classes: 3 });
    expect(r.miou.estimate!).toBeGreaterThan(0.2);
    expect(r.miou.low!).toBeGreaterThan(0);
    expect(r.miou.low!).toBeLessThanOrEqual(r.miou.estimate!);
    expect(r.miou.high!).toBeGreaterThanOrEqual(r.miou.estimate!);
    expect(r.perClass).toHaveLength(3);
    expect(r.pixelAccuracy.low!).toBeGreaterThan(0);
    expect(verdictOf(r.miou, 30, 'frames').verdict).toBe('better');
  });

  it('covers the true difference about 95% of the time', () => {
    // Same generating process in both arms: the true difference is 0.
    let covered = 0;
    const trials = 40;
    for (let t = 0; t < trials; t++) {
      const r = bootstrapDifference(frames(100 + t, 15, 0.6, 0.6, 60), { seed: t, resamples: 300, classes: 3 });
      if (r.miou.low! <= 0 && r.miou.high! >= 0) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.8);
  });

  it('gives no interval below two frames', () => {
    const r = bootstrapDifference(frames(4, 1, 0.5, 0.8), { classes: 3 });
    expect(r.miou.estimate).not.toBeNull();
    expect(r.miou.low).toBeNull();
    expect(verdictOf(r.miou, 1, 'frames').verdict).toBe('unknown');
    expect(bootstrapDifference([], { classes: 3 }).miou.estimate).toBeNull();
  });
});

describe('verdicts', () => {
  it('says better, worse or not yet known from the interval', () => {
    expect(verdictOf({ estimate: 0.05, low: 0.01, high: 0.09 }, 100, 'spots')).toMatchObject({ verdict: 'better', moreUnits: 0 });
    expect(verdictOf({ estimate: -0.05, low: -0.09, high: -0.01 }, 100, 'spots')).toMatchObject({ verdict: 'worse' });
    const open = verdictOf({ estimate: 0.02, low: -0.02, high: 0.06 }, 100, 'spots');
    expect(open.verdict).toBe('unknown');
    // half-width 0.04 against a difference of 0.02: four times the spots, so 300 more
    expect(open.moreUnits).toBe(300);
    expect(open.text).toContain('about 300 more spots');
  });

  it('gives no count when the models look the same', () => {
    expect(moreToSettle({ estimate: 0, low: -0.1, high: 0.1 }, 50)).toBeNull();
    expect(moreToSettle({ estimate: 0.001, low: -0.1, high: 0.1 }, 50)).toBeNull();
  });

  it('formats signed points', () => {
    expect(signedPoints(0.0423)).toBe('+4.2 pts');
    expect(signedPoints(-0.011)).toBe('−1.1 pts');
    expect(signedPoints(-0.0001)).toBe('+0.0 pts');
  });

  it('interpolates quantiles like NumPy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 12);
  });
});
