/**
 * The validation pass, run after indexing on the frames the index listed (new ones, which
 * get their rows here) and on rows marked 'pending' (changed files): the files' size and
 * mtime (the stamps the next rescan compares), image size from the file header and a
 * truncation check, then the label decoded in full — its
 * size against the image, values the format does not define, and the per-class pixel
 * counts stored in frames.class_histogram. The histogram is exact: counting raw values
 * costs far less than the inflate every label needs anyway, so sampling would save nothing.
 * Frames are settled in batches, so an interrupted pass resumes where it stopped.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfCancelled, type JobContext } from '../jobs/jobContext';
import type { Db } from '../db/projectDatabase';
import type { HeaderReader } from './headerReader';
import { ImageProblem, type HeaderReading } from './imageHeader';
import { issue, type FileIssue } from './issues';
import { describeUnknown, readLabelCounts, type LabelEncoding } from './labelDecode';
import type { FrameStatus } from './frameStore';
import { FrameListing } from './frameListing';
import { PngError } from './pngDecode';
import { NOT_STATED, stampOf } from './walk';

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

interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
}

interface Verdict {
  readonly frame: PendingFrame;
  readonly image: Stamp;
  readonly label: Stamp | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly status: FrameStatus;
  readonly histogram: number[] | null;
  readonly issues: FileIssue[];
}

const BATCH = 256;
/** Batches whose headers are asked for ahead of the one being settled. */
const READ_AHEAD = 3;
/** Files decoded at once: inflate runs on libuv's pool, so a few in flight keep the cores busy. */
const IN_FLIGHT = 4;

export async function validateFrames(db: Db, target: ValidationTarget, headers: HeaderReader, ctx: JobContext): Promise<ValidationSummary> {
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
  const readHeaders = (batch: readonly PendingFrame[]) => headers.read(batch.map((f) => join(target.imageRoot, f.rel_path)));
  const settle = async (batch: readonly PendingFrame[], read: Promise<HeaderReading[]>, commitAlso: () => void): Promise<void> => {
    const readings = await read;
    const verdicts = await mapLimited(batch, IN_FLIGHT, (frame, i) => judge(frame, readings[i]!, target));
    db.transaction(() => {
      for (const v of verdicts) {
        const facts = [v.width, v.height, v.status, v.histogram ? JSON.stringify(v.histogram) : null, v.image.size, v.image.mtimeMs, v.label?.size ?? null, v.label?.mtimeMs ?? null];
        if (v.frame.id === null) insert.run(...facts, datasetId, v.frame.rel_path, v.frame.label_path, v.frame.sort_key);
        else save.run(...facts, v.frame.id);
        for (const i of v.issues) putIssue.run(datasetId, v.frame.rel_path, i.code, i.message);
      }
      commitAlso();
    })();
    for (const v of verdicts) {
      counts.checked++;
      if (v.status === 'ok') counts.ok++;
      else if (v.status === 'bad_image') counts.badImages++;
      else if (v.status === 'bad_label') counts.badLabels++;
    }
    ctx.progress(counts.checked, total, 'validating');
  };

  ctx.progress(0, total, 'validating');
  // Listed frames first, in sort order: each gets its row, written whole, as it is settled.
  for (const run of listing.runs(datasetId)) {
    const batchAt = (start: number): PendingFrame[] => {
      const batch: PendingFrame[] = [];
      for (let i = start; i < Math.min(start + BATCH, run.rels.length); i++) {
        batch.push({ id: null, rel_path: run.rels[i]!, label_path: run.labels?.[i] ?? null, sort_key: run.firstSortKey + i });
      }
      return batch;
    };
    // Headers of the next batches are read on the worker while this one is judged and written.
    const ahead: { batch: PendingFrame[]; read: Promise<HeaderReading[]> }[] = [];
    let queued = run.done;
    const fill = (): void => {
      while (ahead.length < READ_AHEAD && queued < run.rels.length) {
        const batch = batchAt(queued);
        queued += batch.length;
        ahead.push({ batch, read: readHeaders(batch) });
      }
    };
    let settled = run.done;
    for (fill(); ahead.length > 0; fill()) {
      throwIfCancelled(ctx.signal);
      const { batch, read } = ahead.shift()!;
      fill();
      settled += batch.length;
      const end = settled;
      const labelled = batch.filter((f) => f.label_path !== null).length;
      await settle(batch, read, () => listing.advance(datasetId, run, end, labelled));
    }
  }
  // Then frames whose files changed since they were read: their rows (and ids) stay.
  let fromSortKey = 0;
  for (;;) {
    throwIfCancelled(ctx.signal);
    const batch = next.all(datasetId, fromSortKey, BATCH) as PendingFrame[];
    if (batch.length === 0) break;
    await settle(batch, readHeaders(batch), () => {});
    // Settled frames leave 'pending', so the cursor only has to skip what is behind it.
    fromSortKey = batch[batch.length - 1]!.sort_key;
  }
  return counts;
}

async function judge(frame: PendingFrame, reading: HeaderReading, target: ValidationTarget): Promise<Verdict> {
  const issues: FileIssue[] = [];
  const labelPath = frame.label_path === null ? null : join(target.labelRoot, frame.label_path);
  // Stamped before reading (the image by the header reader), so a file replaced meanwhile looks changed to the next rescan.
  const label = labelPath === null ? null : await stampAt(labelPath);
  const verdict = { frame, image: { size: reading.size, mtimeMs: reading.mtimeMs }, label };
  const info = reading.info;
  if (!info) {
    const problem = reading.problem ?? { code: 'not_an_image' as const, message: 'unreadable image' };
    issues.push(issue(frame.rel_path, problem.code, `image: ${problem.message}`));
    return { ...verdict, width: null, height: null, status: 'bad_image', histogram: null, issues };
  }
  const { width, height } = info;
  if (labelPath === null) return { ...verdict, width, height, status: 'ok', histogram: null, issues };
  const shown = target.labelDisplay(frame.label_path!);
  let pixels;
  try {
    pixels = await readLabelCounts(labelPath, target.labelEncoding(frame.label_path!));
  } catch (err) {
    issues.push(problemIssue(frame.rel_path, shown, err));
    return { ...verdict, width, height, status: 'bad_label', histogram: null, issues };
  }
  if (pixels.width !== width || pixels.height !== height) {
    issues.push(issue(frame.rel_path, 'size_mismatch', `label ${shown} is ${pixels.width}x${pixels.height}, the image is ${width}x${height}`));
    return { ...verdict, width, height, status: 'bad_label', histogram: null, issues };
  }
  if (pixels.unknown.length > 0) {
    // No format defines a value above 255: such values mean a 16-bit file of scaled 8-bit ids.
    const deep = pixels.unknown.some((u) => Number(u.value) > 255) ? ' (a 16-bit label whose values go above 255, where one 8-bit id per pixel is expected)' : '';
    issues.push(issue(frame.rel_path, 'unknown_label_values', `label ${shown} has values with no class, read as ignore: ${describeUnknown(pixels.unknown)}${deep}`));
  }
  return { ...verdict, width, height, status: 'ok', histogram: pixels.histogram, issues };
}

async function stampAt(path: string): Promise<Stamp> {
  try {
    return stampOf(await stat(path));
  } catch {
    return { size: NOT_STATED, mtimeMs: NOT_STATED };
  }
}

/** Maps a read/decode failure of `file` to an issue recorded against the frame `frameRel`. */
function problemIssue(frameRel: string, file: string, err: unknown): FileIssue {
  const about = file === frameRel ? 'image' : `label ${file}`;
  if (err instanceof ImageProblem) return issue(frameRel, err.code, `${about}: ${err.message}`);
  if (err instanceof PngError) {
    if (err.kind === 'truncated') return issue(frameRel, 'truncated', `${about}: ${err.message} (truncated)`);
    if (err.kind === 'not_png') return issue(frameRel, 'not_an_image', `${about}: not a PNG file`);
    if (err.kind === 'too_large') return issue(frameRel, 'too_large', `${about}: ${err.message}`);
    return issue(frameRel, 'not_an_image', `${about}: unreadable PNG (${err.message})`);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code) return issue(frameRel, 'unreadable', `${about}: cannot read (${code})`);
  return issue(frameRel, 'not_an_image', `${about}: ${(err as Error).message ?? String(err)}`);
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
