import { join } from 'node:path';
import type { ModelRole } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';

export type RunStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'failed';

export interface RunRecord {
  readonly id: number;
  readonly datasetId: number;
  readonly status: RunStatus;
  readonly provider: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly modelIds: readonly number[];
}

/** A run as the Models view lists it: what it ran over, and how far and fast it got. */
export interface RunOverview extends RunRecord {
  readonly datasetName: string;
  readonly modelNames: readonly string[];
  readonly framesWritten: number;
  readonly framesInFolder: number;
  readonly framesPerSecond: number | null;
}

export interface FrameRef {
  readonly id: number;
  readonly path: string;
}

/** Where a run's frames come from; the SQL version below reads the tables the dataset scanner fills. */
export interface FrameSource {
  frames(datasetId: number): FrameRef[];
}

export function sqlFrameSource(db: Db): FrameSource {
  return {
    frames(datasetId) {
      const rows = db
        .prepare(
          // Frames the scanner found undecodable would only fail again here.
          `SELECT f.id, f.rel_path, d.root FROM frames f JOIN datasets d ON d.id = f.dataset_id
           WHERE f.dataset_id = ? AND f.status != 'bad_image' ORDER BY f.sort_key, f.id`,
        )
        .all(datasetId) as { id: number; rel_path: string; root: string }[];
      return rows.map((r) => ({ id: r.id, path: join(r.root, r.rel_path) }));
    },
  };
}

export interface PredictionRow {
  readonly frameId: number;
  readonly modelId: number;
  readonly runId: number;
  readonly maskPath: string;
  readonly confidencePath: string | null;
  readonly entropyPath: string | null;
  readonly histogram: readonly number[];
  readonly meanEntropy: number | null;
  readonly meanConfidence: number | null;
}

export interface FrameCommit {
  readonly predictions: readonly PredictionRow[];
  readonly disagreement?: number;
  readonly syntheticScore?: number;
}

/** SQL for runs, run_models, predictions and frame_stats. */
export class RunStore {
  constructor(private readonly db: Db) {}

  create(datasetId: number, modelIds: readonly number[]): number {
    return this.db.transaction(() => {
      const info = this.db.prepare("INSERT INTO runs (dataset_id, status) VALUES (?, 'queued')").run(datasetId);
      const runId = Number(info.lastInsertRowid);
      const add = this.db.prepare('INSERT INTO run_models (run_id, model_id) VALUES (?, ?)');
      for (const m of modelIds) add.run(runId, m);
      return runId;
    })();
  }

  get(id: number): RunRecord {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `run ${id}: no such inference run`);
    return this.toRecord(row);
  }

  list(limit = 50): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit) as RunRow[]).map((r) => this.toRecord(r));
  }

  /** The latest runs with their folder, model names, frames written and speed. */
  overviews(limit = 50): RunOverview[] {
    const rows = this.db
      .prepare('SELECT r.*, d.name AS dataset_name FROM runs r JOIN datasets d ON d.id = r.dataset_id ORDER BY r.id DESC LIMIT ?')
      .all(limit) as (RunRow & { dataset_name: string; frames_written: number; timed_frames: number; busy_ms: number })[];
    const inFolder = this.db.prepare("SELECT COUNT(*) FROM frames WHERE dataset_id = ? AND status != 'bad_image'").pluck();
    const names = this.db.prepare('SELECT m.name FROM run_models r JOIN models m ON m.id = r.model_id WHERE r.run_id = ? ORDER BY m.id').pluck();
    const folders = new Map<number, number>();
    return rows.map((row) => {
      if (!folders.has(row.dataset_id)) folders.set(row.dataset_id, inFolder.get(row.dataset_id) as number);
      return {
        ...this.toRecord(row),
        datasetName: row.dataset_name,
        modelNames: names.all(row.id) as string[],
        framesWritten: row.frames_written,
        framesInFolder: folders.get(row.dataset_id)!,
        framesPerSecond: row.timed_frames > 0 && row.busy_ms > 0 ? row.timed_frames / (row.busy_ms / 1000) : null,
      };
    });
  }

  /**
   * An unfinished run over exactly these models and dataset, to resume. `stoppedOnly`: cancelled
   * or failed ones only, for the app, whose job queue already resumes queued and running runs.
   */
  findUnfinished(datasetId: number, modelIds: readonly number[], stoppedOnly = false): number | null {
    const want = [...modelIds].sort((a, b) => a - b).join(',');
    const statuses = stoppedOnly ? "('cancelled', 'failed')" : "('queued', 'running', 'cancelled', 'failed')";
    const rows = this.db.prepare(`SELECT id FROM runs WHERE dataset_id = ? AND status IN ${statuses} ORDER BY id DESC`).all(datasetId) as { id: number }[];
    for (const { id } of rows) {
      if ([...this.modelIds(id)].sort((a, b) => a - b).join(',') === want) return id;
    }
    return null;
  }

  setStatus(id: number, status: RunStatus, extra: { provider?: string; error?: string | null } = {}): void {
    if (!this.db.open) return;
    const finished = status === 'done' || status === 'failed' || status === 'cancelled';
    this.db
      .prepare(
        `UPDATE runs SET status = ?, provider = COALESCE(?, provider), error = ?,
           finished_at = CASE WHEN ? THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NULL END WHERE id = ?`,
      )
      .run(status, extra.provider ?? null, extra.error ?? null, finished ? 1 : 0, id);
  }

  /** Frame ids of the dataset that already have a committed prediction from `modelId`. */
  committedFrames(datasetId: number, modelId: number): Set<number> {
    const rows = this.db
      .prepare('SELECT p.frame_id FROM predictions p JOIN frames f ON f.id = p.frame_id WHERE f.dataset_id = ? AND p.model_id = ?')
      .all(datasetId, modelId) as { frame_id: number }[];
    return new Set(rows.map((r) => r.frame_id));
  }

  prediction(frameId: number, modelId: number): { mask_path: string; confidence_path: string | null; entropy_path: string | null } | null {
    return (
      (this.db.prepare('SELECT mask_path, confidence_path, entropy_path FROM predictions WHERE frame_id = ? AND model_id = ?').get(frameId, modelId) as
        | { mask_path: string; confidence_path: string | null; entropy_path: string | null }
        | undefined) ?? null
    );
  }

  latestSynthetic(frameId: number): string | null {
    const row = this.db
      .prepare(
        `SELECT p.mask_path FROM predictions p JOIN models m ON m.id = p.model_id
         WHERE p.frame_id = ? AND m.role = 'discriminator' ORDER BY p.created_at DESC, p.model_id DESC LIMIT 1`,
      )
      .get(frameId) as { mask_path: string } | undefined;
    return row?.mask_path ?? null;
  }

  /** The project's first model of a role, for disagreement when a run holds only one side. */
  firstOfRole(role: ModelRole): number | null {
    return (this.db.prepare('SELECT id FROM models WHERE role = ? ORDER BY id LIMIT 1').get(role) as { id: number } | undefined)?.id ?? null;
  }

  /**
   * Commits one frame in one transaction. OR IGNORE: a row already there (another process
   * finished the frame first) wins, so a frame is never recorded twice. `sinceLastMs`: time since
   * the pass's previous commit (null for its first), which the run's speed is made of.
   */
  commit(frameId: number, c: FrameCommit, sinceLastMs: number | null = null): number {
    let inserted = 0;
    this.db.transaction(() => {
      const put = this.db.prepare(
        `INSERT OR IGNORE INTO predictions (frame_id, model_id, run_id, mask_path, confidence_path, entropy_path,
           class_histogram, mean_entropy, mean_confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const p of c.predictions) {
        inserted += put.run(p.frameId, p.modelId, p.runId, p.maskPath, p.confidencePath, p.entropyPath, JSON.stringify(p.histogram), p.meanEntropy, p.meanConfidence).changes;
      }
      if (inserted > 0) {
        // Counted here rather than from predictions when listed: one run can hold 100,000 frames.
        this.db
          .prepare('UPDATE runs SET frames_written = frames_written + 1, timed_frames = timed_frames + ?, busy_ms = busy_ms + ? WHERE id = ?')
          .run(sinceLastMs === null ? 0 : 1, sinceLastMs ?? 0, c.predictions[0]!.runId);
      }
      if (c.disagreement !== undefined || c.syntheticScore !== undefined) {
        this.db
          .prepare(
            `INSERT INTO frame_stats (frame_id, disagreement, synthetic_score) VALUES (?, ?, ?)
             ON CONFLICT(frame_id) DO UPDATE SET disagreement = COALESCE(excluded.disagreement, disagreement),
               synthetic_score = COALESCE(excluded.synthetic_score, synthetic_score)`,
          )
          .run(frameId, c.disagreement ?? null, c.syntheticScore ?? null);
      }
    })();
    return inserted;
  }

  modelIds(runId: number): number[] {
    return (this.db.prepare('SELECT model_id FROM run_models WHERE run_id = ? ORDER BY model_id').all(runId) as { model_id: number }[]).map(
      (r) => r.model_id,
    );
  }

  private toRecord(row: RunRow): RunRecord {
    return {
      id: row.id,
      datasetId: row.dataset_id,
      status: row.status,
      provider: row.provider,
      error: row.error,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      modelIds: this.modelIds(row.id),
    };
  }
}

interface RunRow {
  id: number;
  dataset_id: number;
  status: RunStatus;
  provider: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}
