/**
 * The metrics job: evaluates every prediction whose cached result is missing or stale —
 * its confusion matrix against the frame's ground truth and against a label mask, its
 * confidence and entropy histograms, and its disagreement with the other models. Results go
 * to the cache frame by frame, so a cancelled or crashed run keeps what it finished.
 */
import { NUM_TRAIN_CLASSES } from '../../common/classes';
import { confusionOf, toSparse } from '../../common/metrics/confusion';
import { throwIfCancelled, type JobContext } from '../jobs/jobContext';
import { cachePath, readGreyPng, readLabelIdPng, type TrainIdMask } from '../labels/maskFiles';
import {
  cacheKey,
  disagreementStamp,
  encodeSparse,
  expectedStamps,
  HISTOGRAM_BINS,
  type CacheEntry,
  type CacheKind,
  type EvaluationStore,
  type PredictionFacts,
} from './evaluationStore';

export interface GroundTruthSource {
  labelTrainIds(frameId: number): Promise<TrainIdMask>;
}

interface WorkItem {
  readonly fact: PredictionFacts;
  readonly kind: CacheKind;
  readonly stamp: string;
  readonly other?: PredictionFacts;
}

/** Stale or missing cache entries, grouped by frame. */
export function planWork(facts: readonly PredictionFacts[], entries: ReadonlyMap<string, CacheEntry>): Map<number, WorkItem[]> {
  const byFrame = new Map<number, PredictionFacts[]>();
  for (const f of facts) byFrame.set(f.frame_id, [...(byFrame.get(f.frame_id) ?? []), f]);
  const plan = new Map<number, WorkItem[]>();
  for (const [frameId, frameFacts] of byFrame) {
    const items: WorkItem[] = [];
    const need = (fact: PredictionFacts, kind: CacheKind, stamp: string, other?: PredictionFacts) => {
      if (entries.get(cacheKey(fact.frame_id, fact.model_id, kind))?.stamp !== stamp) items.push({ fact, kind, stamp, other });
    };
    for (const fact of frameFacts) {
      for (const [kind, stamp] of Object.entries(expectedStamps(fact))) need(fact, kind as CacheKind, stamp);
    }
    for (let i = 0; i < frameFacts.length; i++) {
      for (let j = i + 1; j < frameFacts.length; j++) {
        const a = frameFacts[i]!;
        const b = frameFacts[j]!;
        if (a.domain === 'dashcam') need(a, `dis:${b.model_id}`, disagreementStamp(a, b), b);
      }
    }
    if (items.length > 0) plan.set(frameId, items);
  }
  return plan;
}

export async function evaluatePending(
  store: EvaluationStore,
  groundTruth: GroundTruthSource,
  cacheDir: string,
  ctx: JobContext,
): Promise<{ frames: number; failed: number }> {
  const plan = planWork(store.predictions(), store.entries());
  let done = 0;
  let failed = 0;
  ctx.progress(0, plan.size);
  for (const items of plan.values()) {
    throwIfCancelled(ctx.signal);
    const results: [WorkItem, string | null][] = [];
    const loader = new FrameLoader(groundTruth, cacheDir, items[0]!.fact);
    for (const item of items) {
      try {
        results.push([item, await evaluate(item, loader)]);
      } catch (err) {
        // Stamped with a null result: the frame shows as unreadable instead of being retried forever.
        failed++;
        results.push([item, null]);
        ctx.log(`metrics: frame ${item.fact.frame_id}, model ${item.fact.model_id}, ${item.kind}: ${(err as Error).message}`);
      }
    }
    store.transaction(() => {
      for (const [item, data] of results) store.put(item.fact.frame_id, item.fact.model_id, item.kind, item.stamp, data);
    });
    ctx.progress(++done, plan.size);
  }
  return { frames: plan.size, failed };
}

async function evaluate(item: WorkItem, loader: FrameLoader): Promise<string> {
  const { fact, kind } = item;
  if (kind === 'gt' || kind === 'mask') {
    const truth = kind === 'gt' ? await loader.groundTruth() : await loader.labelMask();
    const pred = resizeNearest(await loader.prediction(fact), truth.width, truth.height);
    return encodeSparse(toSparse(confusionOf(truth.data, pred.data)));
  }
  if (kind === 'conf' || kind === 'ent') {
    const map = await readGreyPng(cachePath(loader.cacheDir, (kind === 'conf' ? fact.confidence_path : fact.entropy_path)!));
    return JSON.stringify(histogram(map.data));
  }
  const a = await loader.prediction(fact);
  const b = resizeNearest(await loader.prediction(item.other!), a.width, a.height);
  let differ = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) differ++;
  return JSON.stringify(a.data.length > 0 ? differ / a.data.length : 0);
}

/** Decodes each file of one frame at most once. */
class FrameLoader {
  private gt: Promise<TrainIdMask> | null = null;
  private mask: Promise<TrainIdMask> | null = null;
  private readonly predictions = new Map<number, Promise<TrainIdMask>>();

  constructor(
    private readonly source: GroundTruthSource,
    readonly cacheDir: string,
    private readonly fact: PredictionFacts,
  ) {}

  groundTruth(): Promise<TrainIdMask> {
    return (this.gt ??= this.source.labelTrainIds(this.fact.frame_id));
  }

  labelMask(): Promise<TrainIdMask> {
    return (this.mask ??= readLabelIdPng(cachePath(this.cacheDir, this.fact.label_mask_path!)));
  }

  prediction(fact: PredictionFacts): Promise<TrainIdMask> {
    let p = this.predictions.get(fact.model_id);
    if (!p) {
      p = readGreyPng(cachePath(this.cacheDir, fact.mask_path));
      this.predictions.set(fact.model_id, p);
    }
    return p;
  }
}

/** Predictions are compared at ground-truth resolution, as the Cityscapes evaluation does. */
export function resizeNearest(mask: TrainIdMask, width: number, height: number): TrainIdMask {
  if (mask.width === width && mask.height === height) return mask;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      out[y * width + x] = mask.data[sy * mask.width + sx]!;
    }
  }
  return { data: out, width, height };
}

export function histogram(values: Uint8Array): number[] {
  const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of values) bins[Math.min(HISTOGRAM_BINS - 1, Math.floor((v * HISTOGRAM_BINS) / 256))]!++;
  return bins;
}

/** Class counts of a trainId mask (the fallback when a prediction has no stored histogram). */
export function classCounts(data: Uint8Array): number[] {
  const counts = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
  for (const v of data) if (v < NUM_TRAIN_CLASSES) counts[v]!++;
  return counts;
}
