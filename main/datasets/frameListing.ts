/**
 * Frames the index pass found and the validation pass has not read yet, kept as runs of
 * consecutive sort keys, each one row holding its paths as a JSON array. A frame gets its
 * row in `frames` (and its id) when validation settles it, with everything read from the
 * file in one INSERT. Writing 100k listed frames this way costs a few dozen rows instead of
 * 100k rows in three B-trees, which is what keeps a first index near the cost of listing the
 * folder (bench/scan.bench.ts), and it spares validation the UPDATE of a row written
 * moments before.
 */
import type { Db } from '../db/projectDatabase';

export interface ListedFrame {
  readonly rel: string;
  readonly labelRel: string | null;
  readonly sortKey: number;
}

/** What `replace` stores, read by position (a first scan serves it from the walk's arrays, with no object per frame). */
export interface ListedFrames {
  readonly length: number;
  rel(i: number): string;
  labelRel(i: number): string | null;
  sortKey(i: number): number;
}

export function listedFrames(frames: readonly ListedFrame[]): ListedFrames {
  return { length: frames.length, rel: (i) => frames[i]!.rel, labelRel: (i) => frames[i]!.labelRel, sortKey: (i) => frames[i]!.sortKey };
}

/** One stored run, as validation walks it: entries before `done` are settled. */
export interface ListingRun {
  readonly firstSortKey: number;
  readonly rels: readonly string[];
  readonly labels: readonly (string | null)[] | null;
  readonly done: number;
}

/** Entries per stored run: how much JSON validation parses at a time. */
export const LISTING_RUN = 2000;

export class FrameListing {
  private readonly deleteAll;
  private readonly insertRun;
  private readonly selectRuns;
  private readonly selectCounts;
  private readonly updateDone;
  private readonly deleteRun;

  constructor(db: Db) {
    this.deleteAll = db.prepare('DELETE FROM frame_listing WHERE dataset_id = ?');
    this.insertRun = db.prepare(
      'INSERT INTO frame_listing (dataset_id, first_sort_key, rels, labels, count, labelled_left) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectRuns = db.prepare('SELECT first_sort_key, rels, labels, done FROM frame_listing WHERE dataset_id = ? ORDER BY first_sort_key');
    this.selectCounts = db.prepare(
      'SELECT coalesce(sum(count - done), 0) AS frames, coalesce(sum(labelled_left), 0) AS labelled FROM frame_listing WHERE dataset_id = ?',
    );
    this.updateDone = db.prepare('UPDATE frame_listing SET done = ?, labelled_left = labelled_left - ? WHERE dataset_id = ? AND first_sort_key = ?');
    this.deleteRun = db.prepare('DELETE FROM frame_listing WHERE dataset_id = ? AND first_sort_key = ?');
  }

  /** Frames still waiting, in sort order (what a rescan compares against and validation reads). */
  runs(datasetId: number): ListingRun[] {
    const rows = this.selectRuns.all(datasetId) as { first_sort_key: number; rels: string; labels: string | null; done: number }[];
    return rows.map((r) => ({
      firstSortKey: r.first_sort_key,
      rels: JSON.parse(r.rels) as string[],
      labels: r.labels === null ? null : (JSON.parse(r.labels) as (string | null)[]),
      done: r.done,
    }));
  }

  /** rel → label of every frame still waiting. */
  waiting(datasetId: number): Map<string, string | null> {
    const out = new Map<string, string | null>();
    for (const run of this.runs(datasetId)) {
      for (let i = run.done; i < run.rels.length; i++) out.set(run.rels[i]!, run.labels?.[i] ?? null);
    }
    return out;
  }

  counts(datasetId: number): { frames: number; labelled: number } {
    return this.selectCounts.get(datasetId) as { frames: number; labelled: number };
  }

  /** Replaces what waits with `frames` (sorted by sort key). Call inside a transaction. */
  replace(datasetId: number, frames: ListedFrames): void {
    this.deleteAll.run(datasetId);
    let start = 0;
    while (start < frames.length) {
      const first = frames.sortKey(start);
      let end = start + 1;
      while (end < frames.length && end - start < LISTING_RUN && frames.sortKey(end) === first + (end - start)) end++;
      const rels = new Array<string>(end - start);
      const labels = new Array<string | null>(end - start);
      let labelled = 0;
      for (let i = start; i < end; i++) {
        const label = frames.labelRel(i);
        rels[i - start] = frames.rel(i);
        labels[i - start] = label;
        if (label !== null) labelled++;
      }
      this.insertRun.run(datasetId, first, JSON.stringify(rels), labelled > 0 ? JSON.stringify(labels) : null, end - start, labelled);
      start = end;
    }
  }

  /** Records that a run's entries before `done` are settled (`labelled` of them had labels). Call inside a transaction. */
  advance(datasetId: number, run: ListingRun, done: number, labelled: number): void {
    if (done >= run.rels.length) this.deleteRun.run(datasetId, run.firstSortKey);
    else this.updateDone.run(done, labelled, datasetId, run.firstSortKey);
  }
}
