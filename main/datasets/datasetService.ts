/**
 * Datasets of the open project: registering folders, indexing and validating their
 * frames, and answering questions about them. The only part of the backend that knows
 * dataset formats; everything else sees frames, trainIds and paths proven to be inside
 * a registered folder.
 */
import { realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DatasetIssue, DatasetSummary, FrameSummary } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import type { JobContext } from '../jobs/jobContext';
import { resolveInside } from '../services/safePath';
import { detectFormat, groundTruthMatcher, isDatasetFormat, openFormat, type DatasetFormat, type Detection, type FormatReader, type LabelMatcher } from './formats';
import { FrameListing } from './frameListing';
import { FrameChecker } from './frameChecker';
import { FrameStore, type DatasetRow, type FrameRow, type FrameStatus } from './frameStore';
import { readLabelFile } from './labelDecode';
import { indexDataset, type IndexSummary } from './scanner';
import { NUM_TRAIN_CLASSES } from './taxonomy';
import { validateFrames, type ValidationSummary } from './validator';
import { NOT_STATED } from './walk';

export type DatasetRole = 'sim' | 'dashcam';

export interface AddDatasetInput {
  readonly name: string;
  readonly role: DatasetRole;
  readonly root: string;
  readonly format?: DatasetFormat | 'auto';
}

export interface DatasetRecord {
  readonly id: number;
  readonly name: string;
  readonly role: DatasetRole;
  /** Real path of the folder. */
  readonly root: string;
  readonly format: DatasetFormat;
  /** Attached Cityscapes ground-truth folder (held-out labels), if any. */
  readonly gtRoot: string | null;
  readonly scannedAt: string | null;
  readonly createdAt: string;
}

export interface FrameRecord {
  readonly id: number;
  readonly datasetId: number;
  readonly relPath: string;
  /** Relative to the dataset root, or to gtRoot when ground truth is attached. */
  readonly labelPath: string | null;
  readonly width: number | null;
  readonly height: number | null;
  /** Null until the validation pass has stamped the file. */
  readonly sizeBytes: number | null;
  readonly mtimeMs: number | null;
  readonly sortKey: number;
  readonly status: FrameStatus;
  /** Label pixels per trainId 0..18, once validated. */
  readonly classHistogram: number[] | null;
}

export interface ScanSummary {
  readonly index: IndexSummary;
  /** Null when the scan was asked to index only. */
  readonly validation: ValidationSummary | null;
}

export interface LabelRaster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export class DatasetService {
  private readonly store: FrameStore;
  private readonly listing: FrameListing;
  private readonly checker = new FrameChecker();
  private readonly scanning = new Set<number>();
  private readonly disposal = new AbortController();

  constructor(private readonly db: Db) {
    this.store = new FrameStore(db);
    this.listing = new FrameListing(db);
  }

  /** What `addDataset` with format 'auto' would pick for a folder, and why. */
  detect(root: string): Detection {
    return detectFormat(realFolder(root, 'dataset folder'));
  }

  addDataset(input: AddDatasetInput): DatasetRecord & { readonly detectedBecause: string } {
    const name = input.name.trim();
    if (!name) throw new AppError('BAD_DATASET', 'a dataset needs a name');
    if (input.role !== 'sim' && input.role !== 'dashcam') throw new AppError('BAD_DATASET', `unknown role ${JSON.stringify(input.role)}`);
    const root = realFolder(input.root, 'dataset folder');
    let format: DatasetFormat;
    let because: string;
    if (!input.format || input.format === 'auto') {
      const detection = detectFormat(root);
      if (detection.format === 'cityscapes-gt') {
        throw new AppError('BAD_DATASET', `${root}: holds only Cityscapes ground truth (gtFine/); attach it to a frames dataset instead`);
      }
      format = detection.format;
      because = detection.reason;
    } else {
      if (!isDatasetFormat(input.format)) throw new AppError('BAD_DATASET', `unknown dataset format ${JSON.stringify(input.format)}`);
      format = input.format;
      because = 'format chosen by the user';
    }
    openFormat(format, root); // fails now on a bad classes.json rather than at scan time
    const clash = this.db.prepare('SELECT name FROM datasets WHERE root = ? AND role = ?').get(root, input.role) as { name: string } | undefined;
    if (clash) throw new AppError('BAD_DATASET', `${root} is already in this project as "${clash.name}" (${input.role})`);
    const id = Number(
      this.db.prepare('INSERT INTO datasets (name, role, root, format) VALUES (?, ?, ?, ?)').run(name, input.role, root, format).lastInsertRowid,
    );
    return { ...this.getDataset(id), detectedBecause: because };
  }

  /**
   * Attaches (or, with null, detaches) a Cityscapes ground-truth folder (`gtFine/{split}/{seq}/...`)
   * to a dataset. Frames are matched to it by the next scan.
   */
  attachGroundTruth(datasetId: number, gtRoot: string | null): DatasetRecord {
    this.getDataset(datasetId);
    let real: string | null = null;
    if (gtRoot !== null) {
      real = realFolder(gtRoot, 'ground-truth folder');
      if (!isFolder(join(real, 'gtFine'))) throw new AppError('BAD_DATASET', `${real}: no gtFine/ folder, so not Cityscapes ground truth`);
    }
    this.db.prepare('UPDATE datasets SET gt_root = ? WHERE id = ?').run(real, datasetId);
    return this.getDataset(datasetId);
  }

  /**
   * Index, then validate (headers, labels, histograms). What the scan job runs. `onIndexed` is
   * called between the two, when every frame row is in: the app shows counts and listing
   * issues then, while validation goes on in the background.
   */
  async scan(
    datasetId: number,
    ctx: JobContext,
    options: { readonly validate?: boolean; readonly onIndexed?: (index: IndexSummary) => void } = {},
  ): Promise<ScanSummary> {
    return this.exclusive(datasetId, ctx, async (signal) => {
      const scoped = { ...ctx, signal };
      const index = await this.runIndex(datasetId, scoped);
      options.onIndexed?.(index);
      const validation = options.validate === false ? null : await this.runValidation(datasetId, scoped);
      return { index, validation };
    });
  }

  /** The fast pass alone: listing, pairing, and the frames table brought up to date. */
  async indexFiles(datasetId: number, ctx: JobContext): Promise<IndexSummary> {
    return this.exclusive(datasetId, ctx, (signal) => this.runIndex(datasetId, { ...ctx, signal }));
  }

  /** The second pass alone, over frames not validated yet. */
  async validateFrames(datasetId: number, ctx: JobContext): Promise<ValidationSummary> {
    return this.exclusive(datasetId, ctx, (signal) => this.runValidation(datasetId, { ...ctx, signal }));
  }

  listDatasets(): DatasetRecord[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]).map(toRecord);
  }

  getDataset(id: number): DatasetRecord {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `dataset ${id} does not exist`);
    return toRecord(row);
  }

  summary(id: number): DatasetSummary {
    const d = this.getDataset(id);
    const counts = this.db.prepare('SELECT count(*) AS frames, count(label_path) AS labelled FROM frames WHERE dataset_id = ?').get(id) as {
      frames: number;
      labelled: number;
    };
    const issues = this.db.prepare('SELECT count(*) FROM dataset_issues WHERE dataset_id = ?').pluck().get(id) as number;
    const waiting = this.listing.counts(id);
    return {
      id: d.id,
      name: d.name,
      role: d.role,
      root: d.root,
      format: d.format,
      frameCount: counts.frames + waiting.frames,
      labelledCount: counts.labelled + waiting.labelled,
      pendingCount: waiting.frames,
      issueCount: issues,
      scannedAt: d.scannedAt,
    };
  }

  listFrames(datasetId: number, page: { readonly offset: number; readonly limit: number }): FrameRecord[] {
    this.getDataset(datasetId);
    const rows = this.db
      .prepare('SELECT * FROM frames WHERE dataset_id = ? ORDER BY sort_key, id LIMIT ? OFFSET ?')
      .all(datasetId, clampLimit(page.limit), Math.max(0, Math.trunc(page.offset))) as FrameRow[];
    return rows.map(toFrame);
  }

  framePage(datasetId: number, offset: number, limit: number): { total: number; frames: FrameSummary[] } {
    const total = this.db.prepare('SELECT count(*) FROM frames WHERE dataset_id = ?').pluck().get(datasetId) as number;
    const frames = this.listFrames(datasetId, { offset, limit }).map((f) => ({
      id: f.id,
      relPath: f.relPath,
      hasLabel: f.labelPath !== null,
      width: f.width,
      height: f.height,
    }));
    return { total, frames };
  }

  issues(datasetId: number, options: { readonly code?: string; readonly limit?: number } = {}): DatasetIssue[] {
    this.getDataset(datasetId);
    const limit = options.limit ?? -1;
    const rows = options.code
      ? this.db.prepare('SELECT rel_path, code, message FROM dataset_issues WHERE dataset_id = ? AND code = ? ORDER BY rel_path LIMIT ?').all(datasetId, options.code, limit)
      : this.db.prepare('SELECT rel_path, code, message FROM dataset_issues WHERE dataset_id = ? ORDER BY rel_path, code LIMIT ?').all(datasetId, limit);
    return (rows as { rel_path: string; code: string; message: string }[]).map((r) => ({ relPath: r.rel_path, code: r.code, message: r.message }));
  }

  /** Label pixels per trainId 0..18 over every validated frame of the dataset. */
  classHistogram(datasetId: number): number[] {
    this.getDataset(datasetId);
    const out = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
    const rows = this.db
      .prepare(
        `SELECT CAST(j.key AS INTEGER) AS train_id, SUM(j.value) AS pixels
         FROM frames f, json_each(f.class_histogram) j
         WHERE f.dataset_id = ? AND f.class_histogram IS NOT NULL GROUP BY j.key`,
      )
      .all(datasetId) as { train_id: number; pixels: number }[];
    for (const r of rows) if (r.train_id >= 0 && r.train_id < NUM_TRAIN_CLASSES) out[r.train_id] = r.pixels;
    return out;
  }

  /**
   * Absolute real path of a frame's image or label, proven to lie inside the dataset
   * folder (or the attached ground-truth folder) after following links.
   */
  resolveFramePath(frameId: number, kind: 'image' | 'label'): string {
    const { frame, dataset } = this.frameWithDataset(frameId);
    if (kind === 'image') return resolveInside(dataset.root, frame.rel_path);
    if (frame.label_path === null) throw new AppError('NOT_FOUND', `frame ${frameId} (${frame.rel_path}) has no label`);
    return resolveInside(dataset.gt_root ?? dataset.root, frame.label_path);
  }

  /** A frame's label as trainIds (255 = ignore), whatever its format on disk. */
  async labelTrainIds(frameId: number): Promise<LabelRaster> {
    const path = this.resolveFramePath(frameId, 'label');
    const { frame, dataset } = this.frameWithDataset(frameId);
    const matcher = this.labelMatcher(dataset);
    const label = await readLabelFile(path, matcher.labelEncoding(frame.label_path!));
    return { data: label.trainIds, width: label.width, height: label.height };
  }

  /** Stops running scans at their next checkpoint; the caller closes the database. */
  dispose(): void {
    this.disposal.abort();
    this.checker.dispose();
  }

  private async runIndex(datasetId: number, ctx: JobContext): Promise<IndexSummary> {
    const dataset = this.row(datasetId);
    const reader = openFormat(this.format(dataset), dataset.root);
    const groundTruth = dataset.gt_root ? { root: dataset.gt_root, matcher: groundTruthMatcher() } : null;
    return indexDataset(this.store, this.listing, { dataset, reader, groundTruth }, ctx);
  }

  private async runValidation(datasetId: number, ctx: JobContext): Promise<ValidationSummary> {
    const dataset = this.row(datasetId);
    // The index pass leaves its pages in the WAL (see FrameStore.bulk); settle them first.
    this.store.checkpoint();
    const matcher = this.labelMatcher(dataset);
    const labelRoot = dataset.gt_root ?? dataset.root;
    return validateFrames(
      this.db,
      {
        datasetId,
        imageRoot: dataset.root,
        labelRoot,
        labelDisplay: (rel) => (dataset.gt_root ? `${relative(dataset.root, dataset.gt_root).split('\\').join('/')}/${rel}` : rel),
        labelEncoding: (rel) => matcher.labelEncoding(rel),
      },
      this.checker,
      ctx,
    );
  }

  private labelMatcher(dataset: DatasetRow): LabelMatcher | FormatReader {
    return dataset.gt_root ? groundTruthMatcher() : openFormat(this.format(dataset), dataset.root);
  }

  private format(dataset: DatasetRow): DatasetFormat {
    if (!isDatasetFormat(dataset.format)) throw new AppError('BAD_DATASET', `dataset ${dataset.id} has unknown format ${dataset.format}`);
    return dataset.format;
  }

  private row(id: number): DatasetRow {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `dataset ${id} does not exist`);
    return row;
  }

  private frameWithDataset(frameId: number): { frame: FrameRow; dataset: DatasetRow } {
    const frame = this.db.prepare('SELECT * FROM frames WHERE id = ?').get(frameId) as FrameRow | undefined;
    if (!frame) throw new AppError('NOT_FOUND', `frame ${frameId} does not exist`);
    return { frame, dataset: this.row(frame.dataset_id) };
  }

  /** One pass at a time per dataset; the signal also fires when the service is disposed. */
  private async exclusive<T>(datasetId: number, ctx: JobContext, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.row(datasetId);
    if (this.scanning.has(datasetId)) throw new AppError('BAD_REQUEST', `dataset ${datasetId} is already being scanned`);
    this.scanning.add(datasetId);
    try {
      return await work(AbortSignal.any([ctx.signal, this.disposal.signal]));
    } finally {
      this.scanning.delete(datasetId);
    }
  }
}

function realFolder(path: string, what: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new AppError('BAD_DATASET', `${path}: ${what} not found`);
  }
  if (!isFolder(real)) throw new AppError('BAD_DATASET', `${path}: ${what} is not a folder`);
  return real;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function clampLimit(limit: number): number {
  return Math.min(10000, Math.max(1, Math.trunc(limit)));
}

function toRecord(row: DatasetRow): DatasetRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    root: row.root,
    format: row.format as DatasetFormat,
    gtRoot: row.gt_root,
    scannedAt: row.scanned_at,
    createdAt: row.created_at,
  };
}

function toFrame(row: FrameRow): FrameRecord {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    relPath: row.rel_path,
    labelPath: row.label_path,
    width: row.width,
    height: row.height,
    sizeBytes: row.size_bytes === NOT_STATED ? null : row.size_bytes,
    mtimeMs: row.mtime_ms === NOT_STATED ? null : row.mtime_ms,
    sortKey: row.sort_key,
    status: row.status,
    classHistogram: row.class_histogram ? (JSON.parse(row.class_histogram) as number[]) : null,
  };
}
