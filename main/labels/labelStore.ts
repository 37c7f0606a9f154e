import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/projectDatabase';
import { StatementCache } from '../db/statementCache';

export type SpotSamplerName = 'uniform' | 'stratified' | 'hardest';

export interface SpotRow {
  id: number;
  frame_id: number;
  dataset_id: number;
  rel_path: string;
  width: number | null;
  height: number | null;
  x: number;
  y: number;
  train_id: number | null;
  cant_tell: number;
  sampler: string;
  weight: number;
  answered_at: string | null;
}

export interface NewSpot {
  readonly frameId: number;
  readonly x: number;
  readonly y: number;
  readonly sampler: string;
  readonly weight: number;
  readonly seed: number;
}

export interface FrameQueueRow {
  frame_id: number;
  rel_path: string;
  width: number | null;
  height: number | null;
  position: number | null;
  mask_path: string | null;
  updated_at: string | null;
}

const SPOT_COLUMNS = `s.id, s.frame_id, f.dataset_id, f.rel_path, f.width, f.height, s.x, s.y, s.train_id,
  s.cant_tell, s.sampler, s.weight, s.answered_at`;

/** Which samplers feed the unbiased estimate; "hardest" spots are for looking, never for counting. */
export const ESTIMATE_SAMPLERS_SQL = "s.sampler IN ('uniform', 'stratified')";

/**
 * The SQL behind labelling. Every write is a single statement or one transaction, so what
 * a user has entered is on disk (WAL) before the reply reaches the view.
 */
export class LabelStore {
  private readonly statements: StatementCache;

  constructor(readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  spots(queue: 'estimate' | 'hardest', datasetId: number | null): SpotRow[] {
    const where = queue === 'estimate' ? ESTIMATE_SAMPLERS_SQL : "s.sampler = 'hardest'";
    return this.prepare(
      `spots:${queue}`,
      `SELECT ${SPOT_COLUMNS} FROM label_spots s JOIN frames f ON f.id = s.frame_id
       WHERE ${where} AND (@datasetId IS NULL OR f.dataset_id = @datasetId) ORDER BY s.id`,
    ).all({ datasetId }) as SpotRow[];
  }

  spot(id: number): SpotRow | undefined {
    return this.prepare(
      'spot',
      `SELECT ${SPOT_COLUMNS} FROM label_spots s JOIN frames f ON f.id = s.frame_id WHERE s.id = ?`,
    ).get(id) as SpotRow | undefined;
  }

  /** Inserts proposals; a pixel already proposed keeps its first row (and its answer). */
  addSpots(spots: readonly NewSpot[]): number {
    const insert = this.prepare(
      'addSpot',
      'INSERT OR IGNORE INTO label_spots (frame_id, x, y, sampler, weight, seed) VALUES (?, ?, ?, ?, ?, ?)',
    );
    return this.db.transaction(() => {
      let added = 0;
      for (const s of spots) added += insert.run(s.frameId, s.x, s.y, s.sampler, s.weight, s.seed).changes;
      return added;
    })();
  }

  answer(id: number, trainId: number | null, cantTell: boolean): number {
    const answered = trainId !== null || cantTell;
    return this.prepare(
      'answer',
      `UPDATE label_spots SET train_id = ?, cant_tell = ?,
         answered_at = CASE WHEN ? THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ELSE NULL END
       WHERE id = ?`,
    ).run(trainId, cantTell ? 1 : 0, answered ? 1 : 0, id).changes;
  }

  /** Answered spots that count towards estimates, with the frame they lie on. */
  answeredEstimateSpots(): SpotRow[] {
    return this.prepare(
      'answeredEstimate',
      `SELECT ${SPOT_COLUMNS} FROM label_spots s JOIN frames f ON f.id = s.frame_id
       WHERE ${ESTIMATE_SAMPLERS_SQL} AND s.train_id IS NOT NULL AND s.cant_tell = 0 AND s.weight > 0
       ORDER BY s.frame_id, s.id`,
    ).all() as SpotRow[];
  }

  allSpots(): SpotRow[] {
    return this.prepare(
      'allSpots',
      `SELECT ${SPOT_COLUMNS} FROM label_spots s JOIN frames f ON f.id = s.frame_id ORDER BY s.id`,
    ).all() as SpotRow[];
  }

  /** Sets an answer for a pixel, proposing it first if nobody had (imports use this). */
  upsertAnswer(frameId: number, x: number, y: number, trainId: number | null, cantTell: boolean, sampler: string, weight: number): 'added' | 'updated' {
    const existing = this.prepare('spotAt', 'SELECT id FROM label_spots WHERE frame_id = ? AND x = ? AND y = ?').get(frameId, x, y) as
      | { id: number }
      | undefined;
    if (existing) {
      this.answer(existing.id, trainId, cantTell);
      return 'updated';
    }
    const info = this.prepare(
      'importSpot',
      'INSERT INTO label_spots (frame_id, x, y, sampler, weight) VALUES (?, ?, ?, ?, ?)',
    ).run(frameId, x, y, sampler, weight);
    this.answer(Number(info.lastInsertRowid), trainId, cantTell);
    return 'added';
  }

  frameQueue(datasetId: number): FrameQueueRow[] {
    return this.prepare(
      'frameQueue',
      `SELECT f.id AS frame_id, f.rel_path, f.width, f.height, q.position, m.mask_path, m.updated_at
       FROM frames f LEFT JOIN label_frame_queue q ON q.frame_id = f.id LEFT JOIN label_masks m ON m.frame_id = f.id
       WHERE f.dataset_id = ? AND (q.frame_id IS NOT NULL OR m.frame_id IS NOT NULL)
       ORDER BY q.position IS NULL, q.position, f.sort_key, f.id`,
    ).all(datasetId) as FrameQueueRow[];
  }

  queueFrames(frameIds: readonly number[], seed: number): number {
    const next = this.prepare('queueMax', 'SELECT COALESCE(MAX(position), -1) + 1 AS n FROM label_frame_queue');
    const insert = this.prepare('queueFrame', 'INSERT OR IGNORE INTO label_frame_queue (frame_id, position, seed) VALUES (?, ?, ?)');
    return this.db.transaction(() => {
      let position = (next.get() as { n: number }).n;
      let added = 0;
      for (const id of frameIds) {
        const changes = insert.run(id, position, seed).changes;
        added += changes;
        position += changes;
      }
      return added;
    })();
  }

  maskRow(frameId: number): { mask_path: string; updated_at: string } | undefined {
    return this.prepare('mask', 'SELECT mask_path, updated_at FROM label_masks WHERE frame_id = ?').get(frameId) as
      | { mask_path: string; updated_at: string }
      | undefined;
  }

  putMask(frameId: number, maskPath: string): string {
    this.prepare(
      'putMask',
      `INSERT INTO label_masks (frame_id, mask_path, updated_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       ON CONFLICT (frame_id) DO UPDATE SET mask_path = excluded.mask_path, updated_at = excluded.updated_at`,
    ).run(frameId, maskPath);
    return this.maskRow(frameId)!.updated_at;
  }

  deleteMask(frameId: number): void {
    this.prepare('deleteMask', 'DELETE FROM label_masks WHERE frame_id = ?').run(frameId);
  }

  allMasks(): { frame_id: number; dataset_id: number; rel_path: string; mask_path: string; updated_at: string }[] {
    return this.prepare(
      'allMasks',
      `SELECT m.frame_id, f.dataset_id, f.rel_path, m.mask_path, m.updated_at
       FROM label_masks m JOIN frames f ON f.id = m.frame_id ORDER BY f.dataset_id, f.sort_key, f.id`,
    ).all() as { frame_id: number; dataset_id: number; rel_path: string; mask_path: string; updated_at: string }[];
  }

  dispose(): void {
    this.statements.clear();
  }

  private prepare(key: string, sql: string): Statement {
    return this.statements.get(key, sql);
  }
}
