import type { Statement } from 'better-sqlite3';
import { NUM_TRAIN_CLASSES } from '../../common/classes';
import type { SparseConfusion } from '../../common/metrics/confusion';
import type { Db } from '../db/projectDatabase';
import { StatementCache } from '../db/statementCache';

/** One prediction with everything that decides whether its cached evaluation is still current. */
export interface PredictionFacts {
  frame_id: number;
  model_id: number;
  dataset_id: number;
  domain: 'sim' | 'dashcam';
  sort_key: number;
  width: number | null;
  height: number | null;
  mask_path: string;
  confidence_path: string | null;
  entropy_path: string | null;
  class_histogram: string | null;
  mean_confidence: number | null;
  mean_entropy: number | null;
  pred_stamp: string;
  gt_stamp: string | null;
  label_mask_path: string | null;
  label_mask_stamp: string | null;
}

export type CacheKind = 'gt' | 'mask' | 'conf' | 'ent' | `dis:${number}`;

export interface CacheEntry {
  stamp: string;
  data: string | null;
}

/** Histogram bins for confidence and entropy maps. */
export const HISTOGRAM_BINS = 20;

/**
 * The per-frame evaluation cache: a confusion matrix per (frame, model, ground truth), the
 * pixel histograms of confidence and entropy, and pairwise disagreement. Entries carry the
 * stamps of the files they were computed from, so a new prediction or an edited label mask
 * makes exactly its own entries stale.
 */
export class EvaluationStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  predictions(): PredictionFacts[] {
    return this.prepare(
      'facts',
      `SELECT p.frame_id, p.model_id, f.dataset_id, d.role AS domain, f.sort_key, f.width, f.height,
              p.mask_path, p.confidence_path, p.entropy_path, p.class_histogram, p.mean_confidence, p.mean_entropy,
              p.mask_path || '|' || p.created_at AS pred_stamp,
              CASE WHEN f.label_path IS NOT NULL THEN f.label_path || '|' || COALESCE(f.label_mtime_ms, f.mtime_ms) END AS gt_stamp,
              lm.mask_path AS label_mask_path, lm.mask_path || '|' || lm.updated_at AS label_mask_stamp
       FROM predictions p
       JOIN frames f ON f.id = p.frame_id
       JOIN datasets d ON d.id = f.dataset_id
       JOIN models mo ON mo.id = p.model_id AND mo.role != 'discriminator'
       LEFT JOIN label_masks lm ON lm.frame_id = p.frame_id
       ORDER BY f.dataset_id, f.sort_key, f.id, p.model_id`,
    ).all() as PredictionFacts[];
  }

  entries(): Map<string, CacheEntry> {
    const rows = this.prepare('entries', 'SELECT frame_id, model_id, kind, stamp, data FROM metric_cache').all() as {
      frame_id: number;
      model_id: number;
      kind: string;
      stamp: string;
      data: string | null;
    }[];
    return new Map(rows.map((r) => [cacheKey(r.frame_id, r.model_id, r.kind), { stamp: r.stamp, data: r.data }]));
  }

  put(frameId: number, modelId: number, kind: CacheKind, stamp: string, data: string | null): void {
    this.prepare(
      'put',
      `INSERT INTO metric_cache (frame_id, model_id, kind, stamp, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (frame_id, model_id, kind) DO UPDATE SET stamp = excluded.stamp, data = excluded.data`,
    ).run(frameId, modelId, kind, stamp, data);
  }

  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  dispose(): void {
    this.statements.clear();
  }

  private prepare(key: string, sql: string): Statement {
    return this.statements.get(key, sql);
  }
}

export function cacheKey(frameId: number, modelId: number, kind: string): string {
  return `${frameId}:${modelId}:${kind}`;
}

/** What each cached kind must be stamped with to be current; null where it does not apply. */
export function expectedStamps(p: PredictionFacts): Partial<Record<'gt' | 'mask' | 'conf' | 'ent', string>> {
  const out: Partial<Record<'gt' | 'mask' | 'conf' | 'ent', string>> = {};
  if (p.gt_stamp) out.gt = `${p.pred_stamp}#${p.gt_stamp}`;
  if (p.label_mask_stamp && p.domain === 'dashcam') out.mask = `${p.pred_stamp}#${p.label_mask_stamp}`;
  if (p.confidence_path) out.conf = `${p.confidence_path}|${p.pred_stamp}`;
  if (p.entropy_path) out.ent = `${p.entropy_path}|${p.pred_stamp}`;
  return out;
}

export function disagreementStamp(a: PredictionFacts, b: PredictionFacts): string {
  return `${a.pred_stamp}#${b.pred_stamp}`;
}

export function encodeSparse(s: SparseConfusion): string {
  return JSON.stringify({ i: Array.from(s.index), v: Array.from(s.value) });
}

export function decodeSparse(text: string): SparseConfusion | null {
  try {
    const parsed = JSON.parse(text) as { i?: number[]; v?: number[] };
    if (!Array.isArray(parsed.i) || !Array.isArray(parsed.v) || parsed.i.length !== parsed.v.length) return null;
    const limit = NUM_TRAIN_CLASSES * (NUM_TRAIN_CLASSES + 1);
    if (parsed.i.some((i) => !(i >= 0 && i < limit))) return null;
    return { index: Uint32Array.from(parsed.i), value: Float64Array.from(parsed.v) };
  } catch {
    return null;
  }
}
