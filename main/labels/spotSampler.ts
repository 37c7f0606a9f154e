/**
 * Where to ask the user to label. Uniform and stratified spots carry the weight K·N_k/N (the
 * inverse of how over-represented their stratum is; 1 for uniform draws), so the mean of
 * weight × indicator over any mix of batches is an unbiased estimate of the population's share
 * (the usual stratified estimator). "Hardest" spots are chosen to be informative to look at,
 * not representative, and weigh 0: they never count.
 */
import { NUM_TRAIN_CLASSES } from '../../common/classes';
import { deriveSeed, SeededRng } from '../../common/metrics/rng';
import type { TrainIdMask } from './maskFiles';
import type { NewSpot } from './labelStore';

export interface SampleFrame {
  readonly id: number;
  readonly width: number;
  readonly height: number;
}

/** What sampling needs to know about one model's predictions. */
export interface PredictionAccess {
  /** Pixels per trainId, or null when the prediction is missing. */
  histogram(frameId: number, modelId: number): Promise<number[] | null>;
  mask(frameId: number, modelId: number): Promise<TrainIdMask | null>;
  /** Normalised entropy map, 0–255; null when the model wrote none. */
  entropy(frameId: number, modelId: number): Promise<TrainIdMask | null>;
}

export function sampleUniform(frames: readonly SampleFrame[], count: number, seed: number): NewSpot[] {
  const rng = new SeededRng(deriveSeed(seed, 'uniform'));
  const cumulative: number[] = [];
  let total = 0;
  for (const f of frames) {
    total += f.width * f.height;
    cumulative.push(total);
  }
  if (total === 0) return [];
  const spots: NewSpot[] = [];
  for (let n = 0; n < count; n++) {
    // Frame with probability ∝ its pixels, then a pixel within it: uniform over all pixels,
    // and exact even when the population has more pixels than a float draw resolves.
    const frame = frames[upperBound(cumulative, rng.next() * total)]!;
    const pixel = rng.below(frame.width * frame.height);
    spots.push({ frameId: frame.id, x: pixel % frame.width, y: Math.floor(pixel / frame.width), sampler: 'uniform', weight: 1, seed });
  }
  return spots;
}

/**
 * Equal allocation over the classes the model predicts: every class gets the same number of
 * draws, each a pixel picked uniformly among the pixels predicted as that class. Rare classes
 * get spots; the weights K · N_k / N undo the over-sampling in the estimates.
 */
export async function sampleStratified(
  frames: readonly SampleFrame[],
  count: number,
  seed: number,
  modelId: number,
  access: PredictionAccess,
): Promise<NewSpot[]> {
  const rng = new SeededRng(deriveSeed(seed, `stratified:${modelId}`));
  const perFrame: { frame: SampleFrame; counts: number[] }[] = [];
  for (const frame of frames) {
    const counts = await exactHistogram(frame, modelId, access);
    if (counts) perFrame.push({ frame, counts });
  }
  const population = perFrame.reduce((a, p) => a + p.frame.width * p.frame.height, 0);
  const strata = Array.from({ length: NUM_TRAIN_CLASSES }, (_, k) => perFrame.reduce((a, p) => a + p.counts[k]!, 0));
  const classes = strata.map((n, k) => (n > 0 ? k : -1)).filter((k) => k >= 0);
  if (classes.length === 0) return [];
  // Draw everything first, then visit frames in order, so each mask is decoded once.
  const draws: { frame: number; k: number; nth: number }[] = [];
  let block: number[] = [];
  for (let n = 0; n < count; n++) {
    // Equal allocation: each block of K draws visits every class once, in a random order, so
    // the strata sizes are fixed rather than multinomial (same weights, less variance).
    if (block.length === 0) block = shuffle([...classes], rng);
    const k = block.pop()!;
    let target = rng.next() * strata[k]!;
    let chosen = perFrame.length - 1;
    for (let f = 0; f < perFrame.length; f++) {
      if (target < perFrame[f]!.counts[k]!) {
        chosen = f;
        break;
      }
      target -= perFrame[f]!.counts[k]!;
    }
    draws.push({ frame: chosen, k, nth: rng.below(perFrame[chosen]!.counts[k]!) });
  }
  draws.sort((a, b) => a.frame - b.frame);
  const spots: NewSpot[] = [];
  for (const d of draws) {
    const { frame } = perFrame[d.frame]!;
    const mask = await access.mask(frame.id, modelId);
    const pixel = mask ? nthOf(mask.data, d.k, d.nth) : -1;
    if (pixel < 0) continue;
    spots.push({
      frameId: frame.id,
      x: pixel % frame.width,
      y: Math.floor(pixel / frame.width),
      sampler: 'stratified',
      weight: (classes.length * strata[d.k]!) / population,
      seed,
    });
  }
  return spots;
}

export type HardBy = { readonly by: 'disagreement'; readonly models: readonly [number, number] } | { readonly by: 'entropy'; readonly model: number };

/** Looks where the models struggle: frames ranked worst first, pixels where they disagree or are least sure. */
export async function sampleHardest(
  frames: readonly SampleFrame[],
  count: number,
  seed: number,
  hard: HardBy,
  access: PredictionAccess,
): Promise<NewSpot[]> {
  const rng = new SeededRng(deriveSeed(seed, `hardest:${hard.by}`));
  const candidates: { frame: SampleFrame; score: number; pixels: Uint32Array }[] = [];
  for (const frame of frames) {
    const pixels = await hardPixels(frame, hard, access);
    if (pixels && pixels.length > 0) candidates.push({ frame, score: pixels.length / (frame.width * frame.height), pixels });
  }
  candidates.sort((a, b) => b.score - a.score || a.frame.id - b.frame.id);
  // A handful of spots per frame across the worst frames, rather than all on one frame.
  const frameCount = Math.min(candidates.length, Math.max(1, Math.ceil(count / 3)));
  const spots: NewSpot[] = [];
  for (let n = 0; n < count && frameCount > 0; n++) {
    const c = candidates[n % frameCount]!;
    const pixel = c.pixels[rng.below(c.pixels.length)]!;
    spots.push({ frameId: c.frame.id, x: pixel % c.frame.width, y: Math.floor(pixel / c.frame.width), sampler: 'hardest', weight: 0, seed });
  }
  return spots;
}

/** Share of pixels counted as "least sure": the most entropic 5% of a frame. */
const ENTROPY_TOP_SHARE = 0.05;

async function hardPixels(frame: SampleFrame, hard: HardBy, access: PredictionAccess): Promise<Uint32Array | null> {
  if (hard.by === 'disagreement') {
    const [a, b] = await Promise.all([access.mask(frame.id, hard.models[0]), access.mask(frame.id, hard.models[1])]);
    if (!a || !b || a.data.length !== b.data.length || a.width !== frame.width) return null;
    const out: number[] = [];
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) out.push(i);
    return Uint32Array.from(out);
  }
  const entropy = await access.entropy(frame.id, hard.model);
  if (!entropy || entropy.width !== frame.width) return null;
  const histogram = new Array<number>(256).fill(0);
  for (const v of entropy.data) histogram[v]!++;
  let threshold = 255;
  for (let kept = 0; threshold > 0 && kept + histogram[threshold]! <= ENTROPY_TOP_SHARE * entropy.data.length; threshold--) {
    kept += histogram[threshold]!;
  }
  const out: number[] = [];
  for (let i = 0; i < entropy.data.length; i++) if (entropy.data[i]! > threshold) out.push(i);
  return Uint32Array.from(out);
}

/** Class counts that match the mask exactly (the stored histogram when it covers every pixel). */
async function exactHistogram(frame: SampleFrame, modelId: number, access: PredictionAccess): Promise<number[] | null> {
  const stored = await access.histogram(frame.id, modelId);
  if (stored && stored.reduce((a, b) => a + b, 0) === frame.width * frame.height) return stored;
  const mask = await access.mask(frame.id, modelId);
  if (!mask || mask.width !== frame.width || mask.height !== frame.height) return null;
  const counts = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
  for (const v of mask.data) if (v < NUM_TRAIN_CLASSES) counts[v]!++;
  return counts;
}

function nthOf(data: Uint8Array, value: number, n: number): number {
  let seen = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === value) {
      if (seen === n) return i;
      seen++;
    }
  }
  return -1;
}

function shuffle<T>(items: T[], rng: SeededRng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** First index whose cumulative value exceeds `target`. */
function upperBound(cumulative: readonly number[], target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A seeded choice of whole frames for full labelling: a uniform sample without replacement. */
export function sampleFrames(frameIds: readonly number[], count: number, seed: number): number[] {
  const rng = new SeededRng(deriveSeed(seed, 'frames'));
  const pool = [...frameIds];
  const out: number[] = [];
  while (out.length < count && pool.length > 0) {
    const i = rng.below(pool.length);
    out.push(pool[i]!);
    pool[i] = pool[pool.length - 1]!;
    pool.pop();
  }
  return out;
}
