/**
 * Turns a bootstrap interval into a plain answer. "How many more" assumes the difference
 * stays where it is and the interval narrows as 1/sqrt(n) — the usual rule of thumb, so the
 * number is a guide for how much labelling to plan, not a guarantee.
 */
import type { DiffInterval } from './bootstrap';

export type Verdict = 'better' | 'worse' | 'unknown';

export interface VerdictReport {
  readonly verdict: Verdict;
  /** Further labelled units (spots or frames) likely to settle an open question; null when no guess is sensible. */
  readonly moreUnits: number | null;
  readonly text: string;
}

/** Beyond this many times the current labels, "more labels" is not a useful answer. */
const MAX_GROWTH = 100;

export function verdictOf(diff: DiffInterval, units: number, unitName: string): VerdictReport {
  const { estimate, low, high } = diff;
  if (estimate === null) {
    return { verdict: 'unknown', moreUnits: null, text: `Not yet known: no ${unitName} that both models can be scored on.` };
  }
  if (low === null || high === null) {
    return {
      verdict: 'unknown',
      moreUnits: null,
      text: `Not yet known: ${signedPoints(estimate)} so far, but an interval needs labels on at least two frames.`,
    };
  }
  const span = `${signedPoints(estimate)} mIoU (95% CI ${signedPoints(low)} to ${signedPoints(high)}) on ${units} ${unitName}`;
  if (low > 0) return { verdict: 'better', moreUnits: 0, text: `Better: ${span}.` };
  if (high < 0) return { verdict: 'worse', moreUnits: 0, text: `Worse: ${span}.` };
  const moreUnits = moreToSettle(diff, units);
  const advice =
    moreUnits === null
      ? 'the two models look about the same; more labels are unlikely to separate them soon'
      : `about ${moreUnits} more ${unitName} would likely settle it`;
  return { verdict: 'unknown', moreUnits, text: `Not yet known: ${span}; ${advice}.` };
}

export function moreToSettle(diff: DiffInterval, units: number): number | null {
  const { estimate, low, high } = diff;
  if (estimate === null || low === null || high === null || units <= 0 || estimate === 0) return null;
  const halfWidth = estimate > 0 ? estimate - low : high - estimate;
  const growth = (halfWidth / Math.abs(estimate)) ** 2;
  if (!Number.isFinite(growth) || growth > MAX_GROWTH) return null;
  return Math.max(1, Math.ceil(units * growth - units));
}

/** A difference of fractions as signed percentage points, e.g. "+4.2 pts". */
export function signedPoints(value: number): string {
  const pts = value * 100;
  const text = Math.abs(pts).toFixed(1);
  return `${pts < 0 && text !== '0.0' ? '−' : '+'}${text} pts`;
}
