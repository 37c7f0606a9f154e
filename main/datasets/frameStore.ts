/**
 * SQL for the frames of a dataset, prepared once per database: what the index pass reads
 * and changes about frames that have rows. New frames do not get rows here; they wait in
 * the listing (frameListing.ts) until validation writes each row whole.
 */
import type { Db } from '../db/projectDatabase';
import type { FileIssue } from './issues';

export type FrameStatus = 'pending' | 'ok' | 'bad_image' | 'bad_label';

export interface DatasetRow {
  readonly id: number;
  readonly name: string;
  readonly role: 'sim' | 'dashcam';
  readonly root: string;
  readonly format: string;
  readonly gt_root: string | null;
  readonly scanned_at: string | null;
  readonly created_at: string;
}

export interface FrameRow {
  readonly id: number;
  readonly dataset_id: number;
  readonly rel_path: string;
  readonly label_path: string | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly size_bytes: number;
  readonly mtime_ms: number;
  readonly sort_key: number;
  readonly class_histogram: string | null;
  readonly label_size_bytes: number | null;
  readonly label_mtime_ms: number | null;
  readonly status: FrameStatus;
}

/**
 * What the index pass wants a frame row to say. Sizes and mtimes are NOT_STATED (-1) for
 * files the index pass did not stat (new ones); validation fills them in from the file it
 * opens anyway.
 */
export interface FrameFacts {
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly labelRel: string | null;
  readonly labelSize: number | null;
  readonly labelMtimeMs: number | null;
  readonly sortKey: number;
  readonly status: FrameStatus;
}

/** The stamp of an indexed frame: enough to tell whether its files changed. */
export type FrameStamp = [
  id: number,
  size: number,
  mtimeMs: number,
  labelRel: string | null,
  labelSize: number | null,
  labelMtimeMs: number | null,
  sortKey: number,
  status: FrameStatus,
];

export class FrameStore {
  private readonly setScannedAt;
  private readonly updateFacts;
  private readonly updateSortKey;
  private readonly deleteFrame;
  private readonly upsertIssue;
  private readonly deleteIssuesOf;
  private readonly deleteDetachedIssues;

  constructor(readonly db: Db) {
    // A changed file invalidates everything read from it; the validation pass refills these.
    this.updateFacts = db.prepare(
      `UPDATE frames SET label_path = ?, size_bytes = ?, mtime_ms = ?, sort_key = ?, label_size_bytes = ?, label_mtime_ms = ?,
         status = ?, width = NULL, height = NULL, class_histogram = NULL WHERE id = ?`,
    );
    this.setScannedAt = db.prepare("UPDATE datasets SET scanned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
    this.updateSortKey = db.prepare('UPDATE frames SET sort_key = ? WHERE id = ?');
    this.deleteFrame = db.prepare('DELETE FROM frames WHERE id = ?');
    this.upsertIssue = db.prepare(
      `INSERT INTO dataset_issues (dataset_id, rel_path, code, message) VALUES (?, ?, ?, ?)
       ON CONFLICT (dataset_id, rel_path, code) DO UPDATE SET message = excluded.message`,
    );
    this.deleteIssuesOf = db.prepare('DELETE FROM dataset_issues WHERE dataset_id = ? AND rel_path = ?');
    this.deleteDetachedIssues = db.prepare(
      `DELETE FROM dataset_issues WHERE dataset_id = ? AND NOT EXISTS
         (SELECT 1 FROM frames f WHERE f.dataset_id = dataset_issues.dataset_id AND f.rel_path = dataset_issues.rel_path)`,
    );
  }

  /** rel_path → stamp, for every frame of a dataset (one query; the rescan compares in memory). */
  stamps(datasetId: number): Map<string, FrameStamp> {
    // rel_path comes last, so each raw row serves as the stamp itself (a trailing extra element):
    // copying 100k rows into fresh tuples cost a rescan more than the query.
    const rows = this.db
      .prepare(
        `SELECT id, size_bytes, mtime_ms, label_path, label_size_bytes, label_mtime_ms, sort_key, status, rel_path
         FROM frames WHERE dataset_id = ?`,
      )
      .raw()
      .all(datasetId) as [...FrameStamp, string][];
    const out = new Map<string, FrameStamp>();
    for (const row of rows) out.set(row[8], row as unknown as FrameStamp);
    return out;
  }

  updateFrame(datasetId: number, id: number, f: FrameFacts): void {
    this.updateFacts.run(f.labelRel, f.size, f.mtimeMs, f.sortKey, f.labelSize, f.labelMtimeMs, f.status, id);
    this.deleteIssuesOf.run(datasetId, f.rel);
  }

  moveFrame(id: number, sortKey: number): void {
    this.updateSortKey.run(sortKey, id);
  }

  removeFrame(id: number): void {
    this.deleteFrame.run(id);
  }

  putIssues(datasetId: number, issues: readonly FileIssue[]): void {
    for (const i of issues) this.upsertIssue.run(datasetId, i.relPath, i.code, i.message);
  }

  clearIssuesOf(datasetId: number, relPath: string): void {
    this.deleteIssuesOf.run(datasetId, relPath);
  }

  markScanned(datasetId: number): void {
    this.setScannedAt.run(datasetId);
  }

  /** Issues about files that are not frames: the scan that just finished re-reported the live ones. */
  dropDetachedIssues(datasetId: number): void {
    this.deleteDetachedIssues.run(datasetId);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /**
   * Runs a bulk write with WAL auto-checkpoints off and a larger page cache. A pass that
   * touches 100k frame rows otherwise checkpoints a dozen times, rewriting the same index
   * pages each time: measured at about half the write cost. The pages stay in the WAL — committed, and
   * read from there — until `checkpoint` (the validation pass starts with it) or the next
   * write after auto-checkpoints are back on.
   */
  async bulk<T>(work: () => Promise<T>): Promise<T> {
    const autocheckpoint = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma('wal_autocheckpoint = 0');
    this.db.pragma('cache_size = -32768');
    try {
      return await work();
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
      this.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    }
  }

  /** Copies what the WAL holds into the database file, so readers stop searching a long WAL. */
  checkpoint(): void {
    if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
  }
}
