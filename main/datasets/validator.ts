/**
 * The validation pass, run after indexing on the frames the index listed (new ones, which
 * get their rows here) and on rows marked 'pending' (changed files). What is read from each
 * frame is frameCheck.ts, run on FrameChecker's worker threads; this module walks the frames
 * in sort order, a few batches ahead, and writes each batch's rows and issues in one
 * transaction with the listing's progress, so an interrupted pass resumes where it stopped.
 * The histogram is exact: counting raw values costs far less than the inflate every label
 * needs anyway, so sampling would save nothing.
 */
import { join } from 'node:path';
import { throwIfCancelled, type JobContext } from '../jobs/jobContext';
import type { Db } from '../db/projectDatabase';
import type { CheckItem, FrameCheck } from './frameCheck';
import type { FrameChecker } from './frameChecker';
import { FrameListing, type ListingRun } from './frameListing';
import type { LabelEncoding } from './labelDecode';

export interface ValidationSummary {
  readonly checked: number;
  readonly ok: number;
  readonly badImages: number;
  readonly badLabels: number;
}

export interface ValidationTarget {
  readonly datasetId: number;
  readonly imageRoot: string;
  /** Where label_path is relative to: the dataset root, or the attached ground-truth folder. */
  readonly labelRoot: string;
  /** How label_path shows in issues (relative to the dataset root). */
  labelDisplay(labelRel: string): string;
  labelEncoding(labelRel: string): LabelEncoding;
}

interface PendingFrame {
  /** Null for a listed frame, which has no row yet. */
  readonly id: number | null;
  readonly rel_path: string;
  readonly label_path: string | null;
  readonly sort_key: number;
}

/** Frames per batch (and transaction) without labels: reading a header is quick. */
const BATCH = 256;
/** With labels, each decoded in full: smaller batches keep progress and cancel prompt. */
const LABELLED_BATCH = 32;
/** Batches asked of the checker ahead of the one being written. */
const READ_AHEAD = 4;

export async function validateFrames(db: Db, target: ValidationTarget, checker: FrameChecker, ctx: JobContext): Promise<ValidationSummary> {
  const listing = new FrameListing(db);
  const pendingRows = db.prepare("SELECT count(*) FROM frames WHERE dataset_id = ? AND status = 'pending'").pluck();
  const next = db.prepare(
    "SELECT id, rel_path, label_path, sort_key FROM frames WHERE dataset_id = ? AND status = 'pending' AND sort_key >= ? ORDER BY sort_key, id LIMIT ?",
  );
  const save = db.prepare(
    `UPDATE frames SET width = ?, height = ?, status = ?, class_histogram = ?, size_bytes = ?, mtime_ms = ?,
       label_size_bytes = ?, label_mtime_ms = ? WHERE id = ?`,
  );
  // The index never lists a path that has a row; the upsert only keeps a listing that says
  // otherwise (a hand-edited project, say) from stopping every later validation at the same frame.
  const insert = db.prepare(
    `INSERT INTO frames (width, height, status, class_histogram, size_bytes, mtime_ms, label_size_bytes, label_mtime_ms,
       dataset_id, rel_path, label_path, sort_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (dataset_id, rel_path) DO UPDATE SET width = excluded.width, height = excluded.height, status = excluded.status,
       class_histogram = excluded.class_histogram, size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms,
       label_size_bytes = excluded.label_size_bytes, label_mtime_ms = excluded.label_mtime_ms,
       label_path = excluded.label_path, sort_key = excluded.sort_key`,
  );
  const putIssue = db.prepare(
    `INSERT INTO dataset_issues (dataset_id, rel_path, code, message) VALUES (?, ?, ?, ?)
     ON CONFLICT (dataset_id, rel_path, code) DO UPDATE SET message = excluded.message`,
  );
  const { datasetId } = target;
  const total = (pendingRows.get(datasetId) as number) + listing.counts(datasetId).frames;
  const counts = { checked: 0, ok: 0, badImages: 0, badLabels: 0 };
  const check = (batch: readonly PendingFrame[]): Promise<FrameCheck[]> => {
    const encodings: LabelEncoding[] = [];
    const items = batch.map((f): CheckItem => {
      if (f.label_path === null) return { rel: f.rel_path, imagePath: join(target.imageRoot, f.rel_path), labelPath: null, labelShown: null, encoding: -1 };
      const encoding = target.labelEncoding(f.label_path);
      let e = encodings.indexOf(encoding);
      if (e < 0) e = encodings.push(encoding) - 1;
      return { rel: f.rel_path, imagePath: join(target.imageRoot, f.rel_path), labelPath: join(target.labelRoot, f.label_path), labelShown: target.labelDisplay(f.label_path), encoding: e };
    });
    return checker.check(items, encodings);
  };
  const settle = async (batch: readonly PendingFrame[], checking: Promise<FrameCheck[]>, commitAlso: () => void): Promise<void> => {
    const checks = await checking;
    db.transaction(() => {
      for (let i = 0; i < batch.length; i++) {
        const f = batch[i]!;
        const v = checks[i]!;
        const facts = [v.width, v.height, v.status, v.histogram ? JSON.stringify(v.histogram) : null, v.image.size, v.image.mtimeMs, v.label?.size ?? null, v.label?.mtimeMs ?? null];
        if (f.id === null) insert.run(...facts, datasetId, f.rel_path, f.label_path, f.sort_key);
        else save.run(...facts, f.id);
        for (const problem of v.issues) putIssue.run(datasetId, f.rel_path, problem.code, problem.message);
      }
      commitAlso();
    })();
    for (const v of checks) {
      counts.checked++;
      if (v.status === 'ok') counts.ok++;
      else if (v.status === 'bad_image') counts.badImages++;
      else if (v.status === 'bad_label') counts.badLabels++;
    }
    ctx.progress(counts.checked, total, 'validating');
  };

  /** A listing run's frames from where it stopped; the next batches are being checked while one is written. */
  const settleRun = async (run: ListingRun): Promise<void> => {
    const size = run.labels ? LABELLED_BATCH : BATCH;
    const ahead: { batch: PendingFrame[]; checking: Promise<FrameCheck[]> }[] = [];
    let queued = run.done;
    const fill = (): void => {
      while (ahead.length < READ_AHEAD && queued < run.rels.length) {
        const batch: PendingFrame[] = [];
        for (let i = queued; i < Math.min(queued + size, run.rels.length); i++) {
          batch.push({ id: null, rel_path: run.rels[i]!, label_path: run.labels?.[i] ?? null, sort_key: run.firstSortKey + i });
        }
        queued += batch.length;
        ahead.push({ batch, checking: check(batch) });
      }
    };
    let settled = run.done;
    for (fill(); ahead.length > 0; fill()) {
      throwIfCancelled(ctx.signal);
      const { batch, checking } = ahead.shift()!;
      fill();
      settled += batch.length;
      const end = settled;
      const labelled = batch.filter((f) => f.label_path !== null).length;
      await settle(batch, checking, () => listing.advance(datasetId, run, end, labelled));
    }
  };

  ctx.progress(0, total, 'validating');
  // Listed frames first, in sort order: each gets its row, written whole, as it is settled.
  for (const run of listing.runs(datasetId)) await settleRun(run);
  // Then frames whose files changed since they were read: their rows (and ids) stay.
  let fromSortKey = 0;
  for (;;) {
    throwIfCancelled(ctx.signal);
    const batch = next.all(datasetId, fromSortKey, LABELLED_BATCH) as PendingFrame[];
    if (batch.length === 0) break;
    await settle(batch, check(batch), () => {});
    // Settled frames leave 'pending', so the cursor only has to skip what is behind it.
    fromSortKey = batch[batch.length - 1]!.sort_key;
  }
  return counts;
}
