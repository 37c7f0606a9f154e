import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import { CancelledError, type JobContext } from '../jobs/jobContext';
import { resolveInside } from '../services/safePath';
import { predictionPaths, readGreyPng, writeGreyPng } from './frameOutputs';
import type { ModelRecord, ModelService } from './modelService';
import { disagreement, mean, quantize, resizeMap, upsampleLabels } from './postprocess';
import { FramePreparer, preparerParallelism } from './framePrep';
import { RunStore, sqlFrameSource, type FrameRef, type FrameSource, type PredictionRow, type RunOverview, type RunRecord } from './runStore';
import type { DiscriminatorSession, SegmentationSession } from './sessions';

export interface RunOutcome {
  readonly runId: number;
  /** Frames inferred and committed by this call. */
  readonly processed: number;
  /** Frames whose outputs were already committed (by an earlier, interrupted run). */
  readonly skipped: number;
  /** Frames that could not be read; they stay uncommitted and are retried by the next run. */
  readonly failed: number;
  readonly seconds: number;
  readonly providers: readonly string[];
}

export interface ExecuteOptions {
  /** Called after each frame's commit (the command line logs it). */
  readonly onFrame?: (frameId: number) => void;
}

export interface InferenceDeps {
  readonly db: Db;
  readonly cacheDir: string;
  readonly models: ModelService;
  readonly frames?: FrameSource;
  /** Decodes frames off the main thread by default; tests pass one that runs in-thread. */
  readonly preparer?: FramePreparer;
}

interface Plan {
  readonly run: RunRecord;
  readonly segs: readonly { model: ModelRecord; session: SegmentationSession }[];
  readonly disc: { model: ModelRecord; session: DiscriminatorSession; feederId: number } | null;
  readonly pair: { sourceOnly: number; adapted: number } | null;
}

interface Prepared {
  readonly frame: FrameRef;
  readonly needs: ReadonlySet<number>;
  readonly width: number;
  readonly height: number;
  readonly inputs: ReadonlyMap<number, Float32Array>;
}

interface SegResult {
  readonly model: ModelRecord;
  readonly write: boolean;
  readonly mask: Uint8Array;
  readonly conf8: Uint8Array;
  readonly ent8: Uint8Array;
  readonly mapWidth: number;
  readonly mapHeight: number;
  readonly histogram: number[];
  readonly meanConfidence: number;
  readonly meanEntropy: number;
}

interface FrameResult {
  readonly frame: FrameRef;
  readonly width: number;
  readonly height: number;
  readonly segs: readonly SegResult[];
  readonly synthetic: { modelId: number; map8: Uint8Array; width: number; height: number; score: number } | null;
}

const IN_FLIGHT_COMMITS = 2;

/** When this pass last committed a frame (performance.now()), so a run's speed leaves out its pauses. */
interface CommitClock {
  last: number | null;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/**
 * Runs models over a dataset and caches their outputs: masks at frame resolution, confidence,
 * entropy and the discriminator's map at model resolution, as 8-bit PNGs in the project cache,
 * indexed in SQLite with per-frame statistics. A frame is committed in one transaction after its
 * files are written, and committed frames are skipped, so a run killed at any point resumes
 * without redoing or losing a frame. Decoding the next frames (on a worker thread) and encoding the previous one
 * overlap with inference on the current one.
 */
export class InferenceService {
  private readonly store: RunStore;
  private readonly frameSource: FrameSource;
  private readonly preparer: FramePreparer;

  constructor(private readonly deps: InferenceDeps) {
    this.store = new RunStore(deps.db);
    this.frameSource = deps.frames ?? sqlFrameSource(deps.db);
    this.preparer = deps.preparer ?? new FramePreparer();
  }

  createRun(datasetId: number, modelIds: readonly number[]): number {
    if (!this.deps.db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(datasetId)) {
      throw new AppError('NOT_FOUND', `dataset ${datasetId}: no such dataset`);
    }
    const ids = this.effectiveModels(modelIds);
    if (ids.length === 0) throw new AppError('BAD_REQUEST', 'an inference run needs at least one model');
    const models = ids.map((id) => this.deps.models.get(id));
    const discs = models.filter((m) => m.card.kind === 'discriminator');
    if (discs.length > 1) throw new AppError('BAD_REQUEST', 'an inference run takes at most one discriminator');
    if (discs.length === 1 && discs.length === models.length) {
      throw new AppError('BAD_REQUEST', `${discs[0]!.name} reads a segmentation model's output: add one to the run`);
    }
    return this.store.create(datasetId, ids);
  }

  /** A run whose job was cancelled while queued: it never started, so nothing else marks it. */
  cancelUnstarted(runId: number): void {
    if (this.store.get(runId).status === 'queued') this.store.setStatus(runId, 'cancelled');
  }

  /** The unfinished run over these models (see RunStore.findUnfinished), or a new one. */
  resumeOrCreate(datasetId: number, modelIds: readonly number[], stoppedOnly = false): number {
    return this.store.findUnfinished(datasetId, this.effectiveModels(modelIds), stoppedOnly) ?? this.createRun(datasetId, modelIds);
  }

  /**
   * The models a run really uses: the ones asked for, plus the project's discriminator when the
   * run segments and names none, so every run that can yields the "looks synthetic" map.
   */
  private effectiveModels(modelIds: readonly number[]): number[] {
    const ids = [...new Set(modelIds)];
    const kinds = ids.map((id) => this.deps.models.get(id).card.kind);
    if (kinds.includes('segmentation') && !kinds.includes('discriminator')) {
      const disc = this.store.firstOfRole('discriminator');
      if (disc !== null) ids.push(disc);
    }
    return ids;
  }

  runs(): RunOverview[] {
    return this.store.overviews();
  }

  run(id: number): RunRecord {
    return this.store.get(id);
  }

  async execute(runId: number, ctx: JobContext, options: ExecuteOptions = {}): Promise<RunOutcome> {
    const started = Date.now();
    const run = this.store.get(runId);
    this.store.setStatus(runId, 'running', { error: null });
    try {
      const plan = await this.plan(run);
      const providers = providersOf(plan);
      this.store.setStatus(runId, 'running', { provider: providers.join(',') });
      // An injected preparer keeps its own setting (benchmarks compare them).
      if (!this.deps.preparer) this.preparer.parallelism = preparerParallelism(availableParallelism(), !providers.includes('cpu'));
      // One frame ahead per preparing thread, plus the one being inferred.
      const PREFETCH = this.preparer.parallelism + 1;
      const frames = this.frameSource.frames(run.datasetId);
      const committed = new Map(run.modelIds.map((id) => [id, this.store.committedFrames(run.datasetId, id)]));
      const work = frames
        .map((frame) => ({ frame, needs: new Set(run.modelIds.filter((id) => !committed.get(id)!.has(frame.id))) }))
        .filter((w) => w.needs.size > 0);
      const skipped = frames.length - work.length;
      let processed = 0;
      let failed = 0;
      ctx.progress(skipped, frames.length);
      if (skipped > 0) ctx.log(`${frames.length - work.length} of ${frames.length} frames already done; resuming`);

      // Decoding runs PREFETCH frames ahead on the preparer's workers and commits trail behind in libuv's pool, so
      // neither waits on the other nor on inference; commits still finish in frame order.
      const prepare = (k: number) => settle(this.prepare(work[k]!.frame, work[k]!.needs, plan));
      const ahead = work.slice(0, PREFETCH).map((_, k) => prepare(k));
      const commits: Promise<Settled<void>>[] = [];
      const clock: CommitClock = { last: null };
      for (let i = 0; i < work.length && !ctx.signal.aborted; i++) {
        const prepared = await ahead.shift()!;
        if (i + PREFETCH < work.length) ahead.push(prepare(i + PREFETCH));
        if (!prepared.ok) {
          failed++;
          ctx.log(`skipped ${work[i]!.frame.path}: ${(prepared.error as Error).message}`);
          continue;
        }
        const result = await this.infer(prepared.value, plan);
        if (commits.length >= IN_FLIGHT_COMMITS) throwIfFailed(await commits.shift()!);
        const previous = commits.at(-1);
        commits.push(
          settle(
            this.commit(result, plan, committed, clock, previous).then(() => {
              processed++;
              options.onFrame?.(result.frame.id);
              ctx.progress(skipped + processed + failed, frames.length);
            }),
          ),
        );
      }
      for (const c of commits) throwIfFailed(await c);
      if (ctx.signal.aborted) {
        this.store.setStatus(runId, 'cancelled');
        throw new CancelledError();
      }
      ctx.progress(frames.length, frames.length);
      // Again: a float16 session that failed its first-frame check runs float32 now.
      this.store.setStatus(runId, 'done', { provider: providersOf(plan).join(','), error: failed > 0 ? `${failed} frame(s) could not be read` : null });
      return { runId, processed, skipped, failed, seconds: (Date.now() - started) / 1000, providers: providersOf(plan) };
    } catch (err) {
      if (!(err instanceof CancelledError)) this.store.setStatus(runId, 'failed', { error: (err as Error).message.slice(0, 500) });
      throw err;
    }
  }

  /** Absolute path of a cached prediction file, for the media routes. */
  predictionFile(frameId: number, modelId: number, kind: 'mask' | 'confidence' | 'entropy'): string {
    const row = this.store.prediction(frameId, modelId);
    const rel = row && (kind === 'mask' ? row.mask_path : kind === 'confidence' ? row.confidence_path : row.entropy_path);
    if (!rel) throw new AppError('NOT_FOUND', `frame ${frameId}: no ${kind} from model ${modelId} yet`);
    return resolveInside(this.deps.cacheDir, rel);
  }

  syntheticFile(frameId: number): string {
    const rel = this.store.latestSynthetic(frameId);
    if (!rel) throw new AppError('NOT_FOUND', `frame ${frameId}: no discriminator map yet`);
    return resolveInside(this.deps.cacheDir, rel);
  }

  dispose(): void {
    // sessions belong to ModelService, which the project scope disposes
    if (!this.deps.preparer) this.preparer.dispose();
  }

  private async plan(run: RunRecord): Promise<Plan> {
    const models = run.modelIds.map((id) => this.deps.models.get(id));
    const segModels = models.filter((m) => m.card.kind === 'segmentation');
    const discModel = models.find((m) => m.card.kind === 'discriminator') ?? null;
    // The discriminator reads the model it was trained against (named in its card), else the adapted one.
    const feeder = discModel
      ? (segModels.find((m) => discModel.card.segmentationModel && basename(m.path) === discModel.card.segmentationModel) ??
        segModels.find((m) => m.role === 'adapted') ??
        segModels[0]!)
      : null;
    const segs = [];
    for (const model of segModels) {
      const feeds = feeder?.id === model.id ? discModel!.card.discriminatorInput : null;
      segs.push({ model, session: await this.deps.models.segmentation(model.id, feeds, feeds ? discModel!.id : null) });
    }
    const disc = discModel ? { model: discModel, session: await this.deps.models.discriminator(discModel.id), feederId: feeder!.id } : null;
    const inRun = (role: string) => segModels.find((m) => m.role === role)?.id;
    const s = inRun('source_only');
    const a = inRun('adapted');
    const pair =
      s !== undefined || a !== undefined
        ? { sourceOnly: s ?? this.store.firstOfRole('source_only') ?? -1, adapted: a ?? this.store.firstOfRole('adapted') ?? -1 }
        : null;
    return { run, segs, disc, pair: pair && pair.sourceOnly > 0 && pair.adapted > 0 ? pair : null };
  }

  private segsToRun(needs: ReadonlySet<number>, plan: Plan) {
    const discNeeded = plan.disc !== null && needs.has(plan.disc.model.id);
    return plan.segs.filter((s) => needs.has(s.model.id) || (discNeeded && s.model.id === plan.disc!.feederId));
  }

  /** Decodes and normalises one frame for every model that will see it, on the preparer's worker thread. */
  private async prepare(frame: FrameRef, needs: ReadonlySet<number>, plan: Plan): Promise<Prepared> {
    const models = this.segsToRun(needs, plan).map((s) => s.model);
    const specs = models.map((m) => ({ height: m.card.inputSize.height, width: m.card.inputSize.width, norm: m.card.normalization }));
    const { width, height, inputs } = await this.preparer.prepare(frame.path, specs);
    return { frame, needs, width, height, inputs: new Map(models.map((m, k) => [m.id, inputs[k]!])) };
  }

  private async infer(p: Prepared, plan: Plan): Promise<FrameResult> {
    const segs: SegResult[] = [];
    let synthetic: FrameResult['synthetic'] = null;
    for (const { model, session } of this.segsToRun(p.needs, plan)) {
      const out = await session.infer(p.inputs.get(model.id)!, p);
      const classes = model.card.classNames.length;
      const lnC = Math.log(classes);
      const counts = new Uint32Array(256);
      const mask = upsampleLabels(out.labels, out.logits, classes, out.labelHeight, out.labelWidth, p.height, p.width, counts);
      segs.push({
        model,
        write: p.needs.has(model.id),
        mask,
        conf8: quantize(out.confidence, 0, 1),
        ent8: quantize(out.entropy, 0, lnC),
        mapWidth: out.mapWidth,
        mapHeight: out.mapHeight,
        histogram: Array.from(counts.subarray(0, classes)),
        meanConfidence: mean(out.confidence),
        meanEntropy: mean(out.entropy) / lnC,
      });
      const discInput = out.discInput;
      if (plan.disc && model.id === plan.disc.feederId && p.needs.has(plan.disc.model.id) && (out.synthetic || discInput)) {
        const patch = out.synthetic ?? (await plan.disc.session.synthetic(discInput!, out.height, out.width));
        const map = resizeMap(patch.map, patch.height, patch.width, out.height, out.width);
        synthetic = { modelId: plan.disc.model.id, map8: quantize(map, 0, 1), width: out.width, height: out.height, score: mean(map) };
      }
    }
    // The sessions have read the inputs: the next frames may fill them.
    this.preparer.recycle([...p.inputs.values()]);
    return { frame: p.frame, width: p.width, height: p.height, segs, synthetic };
  }

  private async commit(
    r: FrameResult,
    plan: Plan,
    committed: ReadonlyMap<number, Set<number>>,
    clock: CommitClock,
    previous?: Promise<Settled<void>>,
  ): Promise<void> {
    const { cacheDir } = this.deps;
    const rows: PredictionRow[] = [];
    const writes: Promise<void>[] = [];
    for (const s of r.segs.filter((x) => x.write)) {
      const paths = predictionPaths(s.model.id, r.frame.id);
      writes.push(
        writeGreyPng(cacheDir, paths.mask, s.mask, r.width, r.height),
        writeGreyPng(cacheDir, paths.confidence, s.conf8, s.mapWidth, s.mapHeight),
        writeGreyPng(cacheDir, paths.entropy, s.ent8, s.mapWidth, s.mapHeight),
      );
      rows.push({
        frameId: r.frame.id,
        modelId: s.model.id,
        runId: plan.run.id,
        maskPath: paths.mask,
        confidencePath: paths.confidence,
        entropyPath: paths.entropy,
        histogram: s.histogram,
        meanEntropy: s.meanEntropy,
        meanConfidence: s.meanConfidence,
      });
    }
    if (r.synthetic) {
      const rel = predictionPaths(r.synthetic.modelId, r.frame.id).synthetic;
      writes.push(writeGreyPng(cacheDir, rel, r.synthetic.map8, r.synthetic.width, r.synthetic.height));
      // A discriminator's row holds its "looks synthetic" map; it has no classes or entropy.
      rows.push({ frameId: r.frame.id, modelId: r.synthetic.modelId, runId: plan.run.id, maskPath: rel, confidencePath: null, entropyPath: null, histogram: [], meanEntropy: null, meanConfidence: null });
    }
    const diff = this.disagreement(r, plan, committed);
    await Promise.all(writes);
    // Files may finish out of order; rows (what marks a frame done) go in frame order.
    if (previous) await previous;
    const frame = { predictions: rows, disagreement: await diff, syntheticScore: r.synthetic?.score };
    const now = performance.now();
    this.store.commit(r.frame.id, frame, clock.last === null ? null : now - clock.last);
    clock.last = now;
  }

  /** Source-only vs adapted: from this frame's masks, or from the cache for the side computed earlier. */
  private async disagreement(r: FrameResult, plan: Plan, committed: ReadonlyMap<number, Set<number>>): Promise<number | undefined> {
    if (!plan.pair) return undefined;
    const fresh = new Map(r.segs.filter((s) => s.write).map((s) => [s.model.id, s.mask]));
    const { sourceOnly, adapted } = plan.pair;
    if (!fresh.has(sourceOnly) && !fresh.has(adapted)) return undefined;
    const load = async (id: number): Promise<Uint8Array | null> => {
      const inFrame = r.segs.find((s) => s.model.id === id)?.mask;
      if (inFrame) return inFrame;
      const known = committed.get(id)?.has(r.frame.id) ?? false;
      const row = known || !committed.has(id) ? this.store.prediction(r.frame.id, id) : null;
      if (!row) return null;
      return (await readGreyPng(resolveInside(this.deps.cacheDir, row.mask_path))).data;
    };
    const [a, b] = await Promise.all([load(sourceOnly), load(adapted)]);
    if (!a || !b || a.length !== b.length) return undefined;
    return disagreement(a, b);
  }
}

/** What a run's sessions run on: "webgpu fp16" where float16 (its outputs differ slightly from float32's). */
function providersOf(plan: Plan): string[] {
  const segs = plan.segs.map((s) => `${s.session.provider}${s.session.precision === 'fp16' ? ' fp16' : ''}`);
  return [...new Set([...segs, ...(plan.disc ? [plan.disc.session.provider] : [])])];
}

function throwIfFailed(s: Settled<void>): void {
  if (!s.ok) throw s.error;
}
