/**
 * Scores one evidence source (sim ground truth, dashcam masks, dashcam spots) from per-frame
 * confusion matrices: each model over the frames it was evaluated on, and the candidate
 * against the baseline, paired, over the frames both were.
 */
import type { MetricsComparison, ModelScores } from '../../common/labelsContract';
import { bootstrapDifference } from '../../common/metrics/bootstrap';
import { addSparse, emptyConfusion, toRows, type SparseConfusion } from '../../common/metrics/confusion';
import { scoresOf } from '../../common/metrics/scores';
import { verdictOf } from '../../common/metrics/verdict';

/** modelId → frameId → that frame's confusion (and how many labelled units it holds). */
export type PerFrame = Map<number, Map<number, { confusion: SparseConfusion; units: number }>>;

export interface CompareOptions {
  readonly baselineId: number | null;
  readonly candidateId: number | null;
  readonly seed: number;
  readonly resamples: number;
  readonly unit: 'frames' | 'spots';
}

export function scoreSource(perFrame: PerFrame, options: CompareOptions): { models: ModelScores[]; comparison: MetricsComparison | null } {
  const models: ModelScores[] = [];
  for (const [modelId, frames] of [...perFrame].sort((a, b) => a[0] - b[0])) {
    const total = emptyConfusion();
    let units = 0;
    for (const f of frames.values()) {
      addSparse(total, f.confusion);
      units += f.units;
    }
    const s = scoresOf(total);
    models.push({ modelId, frames: frames.size, units, iou: s.iou, miou: s.miou, pixelAccuracy: s.pixelAccuracy, confusion: toRows(total) });
  }
  return { models, comparison: compare(perFrame, options) };
}

function compare(perFrame: PerFrame, options: CompareOptions): MetricsComparison | null {
  const { baselineId, candidateId } = options;
  if (baselineId === null || candidateId === null || baselineId === candidateId) return null;
  const a = perFrame.get(baselineId);
  const b = perFrame.get(candidateId);
  if (!a || !b) return null;
  const paired: { baseline: SparseConfusion; candidate: SparseConfusion }[] = [];
  let units = 0;
  // Sorted so the bootstrap sees frames in a fixed order and a seed always gives one answer.
  for (const frameId of [...a.keys()].sort((x, y) => x - y)) {
    const other = b.get(frameId);
    if (!other) continue;
    paired.push({ baseline: a.get(frameId)!.confusion, candidate: other.confusion });
    units += options.unit === 'frames' ? 1 : a.get(frameId)!.units;
  }
  if (paired.length === 0) return null;
  const result = bootstrapDifference(paired, { seed: options.seed, resamples: options.resamples });
  const verdict = verdictOf(result.miou, units, options.unit);
  return {
    baselineId,
    candidateId,
    frames: result.frames,
    units,
    resamples: result.resamples,
    level: result.level,
    miou: result.miou,
    pixelAccuracy: result.pixelAccuracy,
    perClass: result.perClass,
    verdict: verdict.verdict,
    moreUnits: verdict.moreUnits,
    text: verdict.text,
  };
}
