import { NUM_TRAIN_CLASSES } from '../../common/classes';
import type { MetricsModel, MetricsReport, MetricsSeries, MetricsSource, MetricsSourceKey, MetricsTimeline } from '../../common/labelsContract';
import { addPixel, emptyConfusion, toSparse } from '../../common/metrics/confusion';
import type { Db } from '../db/projectDatabase';
import type { JobContext } from '../jobs/jobContext';
import type { LabelStore } from '../labels/labelStore';
import { cachePath, readGreyPng } from '../labels/maskFiles';
import { cacheKey, decodeSparse, EvaluationStore, expectedStamps, HISTOGRAM_BINS, type CacheEntry, type PredictionFacts } from './evaluationStore';
import { evaluatePending, planWork, type GroundTruthSource } from './frameEvaluator';
import { scoreSource, type PerFrame } from './sourceScores';
import { SpotPredictions } from './spotPredictions';

export interface ReportOptions {
  readonly baselineId?: number;
  readonly candidateId?: number;
  readonly seed?: number;
  readonly resamples?: number;
}

const FRAME_SOURCES: readonly { key: MetricsSourceKey; title: string; domain: 'sim' | 'dashcam'; kind: 'gt' | 'mask' }[] = [
  { key: 'sim', title: 'Simulator frames with ground truth', domain: 'sim', kind: 'gt' },
  { key: 'dashcam-gt', title: 'Dashcam frames with held-out ground truth', domain: 'dashcam', kind: 'gt' },
  { key: 'dashcam-frames', title: 'Dashcam frames you labelled', domain: 'dashcam', kind: 'mask' },
];

/**
 * Builds the comparison the Metrics view shows. Frame-level evaluations come from the cache
 * the metrics job fills; spot checks are scored here on every request, so an answered spot
 * shows up in the numbers at once.
 */
export class MetricsService {
  private readonly evaluations: EvaluationStore;
  private readonly spotPredictions: SpotPredictions;

  constructor(
    private readonly db: Db,
    private readonly cacheDir: string,
    private readonly groundTruth: GroundTruthSource,
    private readonly labels: LabelStore,
  ) {
    this.evaluations = new EvaluationStore(db);
    this.spotPredictions = new SpotPredictions((path) => readGreyPng(path));
  }

  evaluate(ctx: JobContext) {
    return evaluatePending(this.evaluations, this.groundTruth, this.cacheDir, ctx);
  }

  pendingFrames(): number {
    return planWork(this.evaluations.predictions(), this.evaluations.entries()).size;
  }

  async report(options: ReportOptions = {}): Promise<MetricsReport> {
    const models = this.db.prepare("SELECT id, name, role FROM models WHERE role != 'discriminator' ORDER BY id").all() as MetricsModel[];
    const pick = (wanted: number | undefined, roles: readonly string[]) =>
      (wanted !== undefined && models.some((m) => m.id === wanted) ? wanted : undefined) ??
      roles.map((r) => models.find((m) => m.role === r)?.id).find((id) => id !== undefined) ??
      null;
    const baselineId = pick(options.baselineId, ['source_only', 'custom']);
    const candidateId = pick(options.candidateId, ['adapted', 'oracle', 'custom']);
    const seed = options.seed ?? 1;
    const resamples = options.resamples ?? 1000;
    const compare = { baselineId, candidateId, seed, resamples };
    const facts = this.evaluations.predictions();
    const entries = this.evaluations.entries();
    const plan = planWork(facts, entries);

    const sources: MetricsSource[] = FRAME_SOURCES.map((source) => {
      const perFrame: PerFrame = new Map();
      const pending = new Set<number>();
      const unreadable = new Set<number>();
      for (const fact of facts) {
        if (fact.domain !== source.domain) continue;
        const stamp = expectedStamps(fact)[source.kind];
        if (!stamp) continue;
        const entry = entries.get(cacheKey(fact.frame_id, fact.model_id, source.kind));
        if (entry?.stamp !== stamp) pending.add(fact.frame_id);
        else if (entry.data === null || !decodeSparse(entry.data)) unreadable.add(fact.frame_id);
        else mapOf(perFrame, fact.model_id).set(fact.frame_id, { confusion: decodeSparse(entry.data)!, units: 1 });
      }
      const scored = scoreSource(perFrame, { ...compare, unit: 'frames' });
      return {
        key: source.key,
        title: source.title,
        unit: 'frames' as const,
        labelled: this.labelledFrames(source.domain, source.kind),
        pending: pending.size,
        unreadable: unreadable.size,
        ...scored,
      };
    });
    sources.push(await this.spotSource(facts, compare));

    return {
      models,
      baselineId,
      candidateId,
      sources,
      classDistribution: classDistribution(facts),
      confidence: valueHistograms(facts, entries, 'conf'),
      entropy: valueHistograms(facts, entries, 'ent'),
      timelines: baselineId !== null && candidateId !== null ? this.timelines(facts, entries, baselineId, candidateId) : [],
      pendingFrames: plan.size,
      seed,
      resamples,
      computedAt: new Date().toISOString(),
    };
  }

  dispose(): void {
    this.evaluations.dispose();
    this.spotPredictions.clear();
  }

  private async spotSource(
    facts: readonly PredictionFacts[],
    compare: { baselineId: number | null; candidateId: number | null; seed: number; resamples: number },
  ): Promise<MetricsSource> {
    const dashcam = new Set((this.db.prepare("SELECT id FROM datasets WHERE role = 'dashcam'").all() as { id: number }[]).map((d) => d.id));
    const spots = this.labels.answeredEstimateSpots().filter((s) => dashcam.has(s.dataset_id));
    const byFrame = new Map<number, typeof spots>();
    for (const s of spots) byFrame.set(s.frame_id, [...(byFrame.get(s.frame_id) ?? []), s]);
    const perFrame: PerFrame = new Map();
    let unreadable = 0;
    for (const fact of facts) {
      const frameSpots = byFrame.get(fact.frame_id);
      if (!frameSpots) continue;
      const preds = await this.spotPredictions.lookup(
        `${fact.model_id}:${fact.pred_stamp}`,
        cachePath(this.cacheDir, fact.mask_path),
        frameSpots.map((s) => ({ frameId: s.frame_id, x: s.x, y: s.y, width: s.width, height: s.height })),
      );
      if (preds.some((p) => p === null)) {
        unreadable++;
        continue;
      }
      const confusion = emptyConfusion();
      frameSpots.forEach((s, i) => addPixel(confusion, s.train_id!, preds[i]!, s.weight));
      mapOf(perFrame, fact.model_id).set(fact.frame_id, { confusion: toSparse(confusion), units: frameSpots.length });
    }
    return {
      key: 'dashcam-spots',
      title: 'Dashcam spot checks',
      unit: 'spots',
      labelled: spots.length,
      pending: 0,
      unreadable,
      ...scoreSource(perFrame, { ...compare, unit: 'spots' }),
    };
  }

  private labelledFrames(domain: 'sim' | 'dashcam', kind: 'gt' | 'mask'): number {
    const sql =
      kind === 'gt'
        ? 'SELECT count(*) AS n FROM frames f JOIN datasets d ON d.id = f.dataset_id WHERE d.role = ? AND f.label_path IS NOT NULL'
        : 'SELECT count(*) AS n FROM label_masks m JOIN frames f ON f.id = m.frame_id JOIN datasets d ON d.id = f.dataset_id WHERE d.role = ?';
    return (this.db.prepare(sql).get(domain) as { n: number }).n;
  }

  private timelines(facts: readonly PredictionFacts[], entries: ReadonlyMap<string, CacheEntry>, a: number, b: number): MetricsTimeline[] {
    const [low, high] = a < b ? [a, b] : [b, a];
    const stats = new Map(
      (this.db.prepare('SELECT frame_id, disagreement FROM frame_stats WHERE disagreement IS NOT NULL').all() as {
        frame_id: number;
        disagreement: number;
      }[]).map((r) => [r.frame_id, r.disagreement]),
    );
    const labelled = new Set([
      ...(this.db.prepare('SELECT frame_id FROM label_masks').all() as { frame_id: number }[]).map((r) => r.frame_id),
      ...this.labels.answeredEstimateSpots().map((s) => s.frame_id),
    ]);
    const datasets = this.db.prepare("SELECT id, name FROM datasets WHERE role = 'dashcam' ORDER BY id").all() as { id: number; name: string }[];
    const frames = this.db.prepare('SELECT id, rel_path FROM frames WHERE dataset_id = ? ORDER BY sort_key, id');
    const predicted = new Set(facts.filter((f) => f.model_id === a || f.model_id === b).map((f) => f.frame_id));
    const out: MetricsTimeline[] = [];
    for (const d of datasets) {
      const rows = (frames.all(d.id) as { id: number; rel_path: string }[]).filter((f) => predicted.has(f.id));
      if (rows.length === 0) continue;
      out.push({
        datasetId: d.id,
        name: d.name,
        points: rows.map((f, index) => {
          const cached = entries.get(cacheKey(f.id, low, `dis:${high}`))?.data;
          const value = cached ? Number(JSON.parse(cached)) : (stats.get(f.id) ?? null);
          return { frameId: f.id, index, relPath: f.rel_path, disagreement: Number.isFinite(value) ? value : null, labelled: labelled.has(f.id) };
        }),
      });
    }
    return out;
  }
}

function mapOf<K, V>(map: Map<number, Map<K, V>>, key: number): Map<K, V> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function classDistribution(facts: readonly PredictionFacts[]): MetricsSeries[] {
  const sums = new Map<string, number[]>();
  for (const f of facts) {
    const counts = parseCounts(f.class_histogram, NUM_TRAIN_CLASSES);
    if (!counts) continue;
    const key = `${f.model_id}|${f.domain}`;
    const sum = sums.get(key) ?? new Array<number>(NUM_TRAIN_CLASSES).fill(0);
    counts.forEach((v, k) => (sum[k]! += v));
    sums.set(key, sum);
  }
  return seriesOf(sums, 'pixels');
}

/** Pixel histograms where the maps were evaluated, otherwise histograms of per-frame means. */
function valueHistograms(facts: readonly PredictionFacts[], entries: ReadonlyMap<string, CacheEntry>, kind: 'conf' | 'ent'): MetricsSeries[] {
  const pixels = new Map<string, number[]>();
  const means = new Map<string, number[]>();
  for (const f of facts) {
    const key = `${f.model_id}|${f.domain}`;
    const cached = entries.get(cacheKey(f.frame_id, f.model_id, kind))?.data;
    const counts = cached ? parseCounts(cached, HISTOGRAM_BINS) : null;
    if (counts) {
      const sum = pixels.get(key) ?? new Array<number>(HISTOGRAM_BINS).fill(0);
      counts.forEach((v, k) => (sum[k]! += v));
      pixels.set(key, sum);
    }
    const mean = kind === 'conf' ? f.mean_confidence : f.mean_entropy;
    if (mean !== null && Number.isFinite(mean)) {
      const sum = means.get(key) ?? new Array<number>(HISTOGRAM_BINS).fill(0);
      sum[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(mean * HISTOGRAM_BINS)))]! += 1;
      means.set(key, sum);
    }
  }
  for (const key of pixels.keys()) means.delete(key);
  return [...seriesOf(pixels, 'pixels'), ...seriesOf(means, 'frame-means')];
}

function seriesOf(sums: Map<string, number[]>, kind: MetricsSeries['kind']): MetricsSeries[] {
  return [...sums].map(([key, values]) => {
    const [model, domain] = key.split('|');
    return { modelId: Number(model), domain: domain as MetricsSeries['domain'], kind, values };
  });
}

function parseCounts(text: string | null, length: number): number[] | null {
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || parsed.length < length) return null;
    const counts = parsed.slice(0, length).map(Number);
    return counts.every((n) => Number.isFinite(n) && n >= 0) ? counts : null;
  } catch {
    return null;
  }
}
