import { join } from 'node:path';
import { NUM_TRAIN_CLASSES } from '../../common/classes';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import { exportMasks, importMasks, importSpots, parseSpots, spotRecords, spotsToCsv, spotsToJson } from './labelExchange';
import { LabelStore, type SpotRow } from './labelStore';
import { cachePath, packMask, readGreyPng, readLabelIdPng, unpackMask, writeLabelIdPng, type PackedMask, type TrainIdMask } from './maskFiles';
import { sampleFrames, sampleHardest, sampleStratified, sampleUniform, type PredictionAccess, type SampleFrame } from './spotSampler';

export interface LabelSpotView {
  id: number;
  frameId: number;
  datasetId: number;
  relPath: string;
  width: number | null;
  height: number | null;
  x: number;
  y: number;
  trainId: number | null;
  cantTell: boolean;
  sampler: string;
  weight: number;
  answeredAt: string | null;
}

export interface SampleRequest {
  readonly datasetId: number;
  readonly count: number;
  readonly seed: number;
  readonly sampler: 'uniform' | 'stratified' | 'hardest';
  /** Stratified: whose predicted classes form the strata. Hardest by entropy: whose entropy. */
  readonly modelId?: number;
  /** Hardest by disagreement: the two models compared. */
  readonly pair?: readonly [number, number];
}

const MASK_DIR = 'labels';
const DECODED_CACHE = 8;

/**
 * Spot checks and full-frame label masks for one project. Answers and masks are written
 * before a reply returns; sampling is seeded so a proposal can be reproduced and audited.
 */
export class LabelService {
  readonly store: LabelStore;
  private readonly decoded = new Map<string, TrainIdMask | null>();

  constructor(
    private readonly db: Db,
    private readonly cacheDir: string,
  ) {
    this.store = new LabelStore(db);
  }

  spots(queue: 'estimate' | 'hardest', datasetId: number | null): LabelSpotView[] {
    return this.store.spots(queue, datasetId).map(spotView);
  }

  answer(spotId: number, trainId: number | null, cantTell: boolean): LabelSpotView {
    if (trainId !== null && cantTell) throw new AppError('BAD_REQUEST', "a spot is either a class or can't tell, not both");
    if (this.store.answer(spotId, trainId, cantTell) === 0) throw new AppError('NOT_FOUND', `spot ${spotId}: no such spot`);
    return spotView(this.store.spot(spotId)!);
  }

  async sample(request: SampleRequest): Promise<{ added: number; proposed: number }> {
    const frames = this.sampleFrames(request.datasetId);
    if (frames.length === 0) throw new AppError('BAD_REQUEST', 'this folder has no scanned frames to sample from');
    const access = this.predictionAccess();
    let spots;
    if (request.sampler === 'uniform') {
      spots = sampleUniform(frames, request.count, request.seed);
    } else if (request.sampler === 'stratified') {
      const modelId = this.requireModel(request.modelId);
      spots = await sampleStratified(frames, request.count, request.seed, modelId, access);
      if (spots.length === 0) throw new AppError('BAD_REQUEST', 'the chosen model has no predictions on this folder yet');
    } else {
      const hard = request.pair
        ? ({ by: 'disagreement', models: [this.requireModel(request.pair[0]), this.requireModel(request.pair[1])] } as const)
        : ({ by: 'entropy', model: this.requireModel(request.modelId) } as const);
      spots = await sampleHardest(frames, request.count, request.seed, hard, access);
      if (spots.length === 0) {
        throw new AppError('BAD_REQUEST', hard.by === 'entropy' ? 'the chosen model wrote no entropy maps for this folder' : 'the two models agree everywhere, or have no predictions here');
      }
    }
    this.decoded.clear();
    return { added: this.store.addSpots(spots), proposed: spots.length };
  }

  frameQueue(datasetId: number) {
    return this.store.frameQueue(datasetId).map((r) => ({
      frameId: r.frame_id,
      relPath: r.rel_path,
      width: r.width,
      height: r.height,
      proposed: r.position !== null,
      labelledAt: r.updated_at,
    }));
  }

  proposeFrames(datasetId: number, count: number, seed: number): { added: number } {
    const ids = (this.db.prepare('SELECT id FROM frames WHERE dataset_id = ? ORDER BY sort_key, id').all(datasetId) as { id: number }[]).map((r) => r.id);
    const queued = new Set(this.store.frameQueue(datasetId).map((r) => r.frame_id));
    return { added: this.store.queueFrames(sampleFrames(ids.filter((id) => !queued.has(id)), count, seed), seed) };
  }

  async mask(frameId: number): Promise<PackedMask | null> {
    const row = this.store.maskRow(frameId);
    if (!row) return null;
    return packMask(await readLabelIdPng(cachePath(this.cacheDir, row.mask_path)));
  }

  async saveMaskPacked(frameId: number, packed: PackedMask): Promise<{ updatedAt: string }> {
    return { updatedAt: await this.saveMask(frameId, unpackMask(packed)) };
  }

  /** File first (atomically), then the row: a crash in between leaves the previous mask intact. */
  async saveMask(frameId: number, mask: TrainIdMask): Promise<string> {
    const frame = this.db.prepare('SELECT width, height FROM frames WHERE id = ?').get(frameId) as { width: number | null; height: number | null } | undefined;
    if (!frame) throw new AppError('NOT_FOUND', `frame ${frameId}: no such frame`);
    if (frame.width !== null && (frame.width !== mask.width || frame.height !== mask.height)) {
      throw new AppError('BAD_REQUEST', `mask is ${mask.width}×${mask.height}, the frame is ${frame.width}×${frame.height}`);
    }
    for (const v of mask.data) {
      if (v >= NUM_TRAIN_CLASSES && v !== 255) throw new AppError('BAD_REQUEST', `mask holds ${v}, which is not a trainId`);
    }
    const rel = `${MASK_DIR}/${frameId}_gtFine_labelIds.png`;
    await writeLabelIdPng(join(this.cacheDir, MASK_DIR, `${frameId}_gtFine_labelIds.png`), mask);
    return this.store.putMask(frameId, rel);
  }

  deleteMask(frameId: number): void {
    this.store.deleteMask(frameId);
  }

  async prediction(frameId: number, modelId: number): Promise<PackedMask | null> {
    const mask = await this.predictionAccess().mask(frameId, modelId);
    return mask ? packMask(mask) : null;
  }

  exportMasks(folder: string) {
    return exportMasks(this.db, this.store, this.cacheDir, folder);
  }

  importMasks(folder: string, datasetId: number) {
    return importMasks(this.db, folder, datasetId, { saveMask: (id, m) => this.saveMask(id, m) });
  }

  exportSpots(format: 'csv' | 'json'): { text: string; fileName: string } {
    const records = spotRecords(this.db, this.store);
    return format === 'csv' ? { text: spotsToCsv(records), fileName: 'spots.csv' } : { text: spotsToJson(records), fileName: 'spots.json' };
  }

  importSpots(format: 'csv' | 'json', text: string) {
    return importSpots(this.db, this.store, parseSpots(format, text));
  }

  dispose(): void {
    this.store.dispose();
    this.decoded.clear();
  }

  private sampleFrames(datasetId: number): SampleFrame[] {
    if (!this.db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(datasetId)) {
      throw new AppError('NOT_FOUND', `dataset ${datasetId}: no such dataset`);
    }
    return this.db
      .prepare('SELECT id, width, height FROM frames WHERE dataset_id = ? AND width > 0 AND height > 0 ORDER BY sort_key, id')
      .all(datasetId) as SampleFrame[];
  }

  private requireModel(id: number | undefined): number {
    if (id === undefined) throw new AppError('BAD_REQUEST', 'choose a model for this sampler');
    if (!this.db.prepare('SELECT 1 FROM models WHERE id = ?').get(id)) throw new AppError('NOT_FOUND', `model ${id}: no such model`);
    return id;
  }

  private predictionAccess(): PredictionAccess {
    const row = (frameId: number, modelId: number) =>
      this.db.prepare('SELECT mask_path, entropy_path, class_histogram FROM predictions WHERE frame_id = ? AND model_id = ?').get(frameId, modelId) as
        | { mask_path: string; entropy_path: string | null; class_histogram: string | null }
        | undefined;
    const load = async (key: string, path: string | null | undefined): Promise<TrainIdMask | null> => {
      if (!path) return null;
      if (this.decoded.has(key)) return this.decoded.get(key)!;
      const mask = await readGreyPng(cachePath(this.cacheDir, path)).catch(() => null);
      if (this.decoded.size >= DECODED_CACHE) this.decoded.delete(this.decoded.keys().next().value!);
      this.decoded.set(key, mask);
      return mask;
    };
    return {
      histogram: async (frameId, modelId) => parseHistogram(row(frameId, modelId)?.class_histogram ?? null),
      mask: (frameId, modelId) => load(`m:${frameId}:${modelId}`, row(frameId, modelId)?.mask_path),
      entropy: (frameId, modelId) => load(`e:${frameId}:${modelId}`, row(frameId, modelId)?.entropy_path),
    };
  }
}

function spotView(s: SpotRow): LabelSpotView {
  return {
    id: s.id,
    frameId: s.frame_id,
    datasetId: s.dataset_id,
    relPath: s.rel_path,
    width: s.width,
    height: s.height,
    x: s.x,
    y: s.y,
    trainId: s.train_id,
    cantTell: s.cant_tell === 1,
    sampler: s.sampler,
    weight: s.weight,
    answeredAt: s.answered_at,
  };
}

function parseHistogram(text: string | null): number[] | null {
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || parsed.length < NUM_TRAIN_CLASSES) return null;
    const counts = parsed.slice(0, NUM_TRAIN_CLASSES).map(Number);
    return counts.every((n) => Number.isFinite(n) && n >= 0) ? counts : null;
  } catch {
    return null;
  }
}
