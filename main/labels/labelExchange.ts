/**
 * Labels in and out of the project: full-frame masks as a Cityscapes gtFine tree of labelIds
 * PNGs (what other tools and the official evaluation read), spots as CSV or JSON. Files are
 * matched back to frames by dataset name and relative path, so an export can be re-imported
 * into another project over the same folders.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES, TRAIN_CLASSES } from '../../common/classes';
import { parseCsv, toCsv } from '../../common/csv';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import type { LabelStore } from './labelStore';
import { cachePath, readLabelIdPng, writeFileAtomic, writeLabelIdPng } from './maskFiles';

export const MANIFEST_FILE = 'sim2real_labels.json';
const GT_SUFFIX = '_gtFine_labelIds.png';
const CITYSCAPES_NAME = /^([A-Za-z]+(?:_[A-Za-z]+)*)_(\d{6})_(\d{6})_leftImg8bit\.\w+$/;

interface ManifestEntry {
  file: string;
  dataset: string;
  relPath: string;
}

export interface MaskWriter {
  saveMask(frameId: number, mask: { data: Uint8Array; width: number; height: number }): Promise<string>;
}

export async function exportMasks(db: Db, store: LabelStore, cacheDir: string, folder: string): Promise<{ written: number }> {
  const datasets = new Map((db.prepare('SELECT id, name FROM datasets').all() as { id: number; name: string }[]).map((d) => [d.id, d.name]));
  const entries: ManifestEntry[] = [];
  const used = new Set<string>();
  let index = 0;
  for (const row of store.allMasks()) {
    const dataset = datasets.get(row.dataset_id) ?? `dataset${row.dataset_id}`;
    const file = cityscapesLabelPath(dataset, row.rel_path, index++, used);
    const mask = await readLabelIdPng(cachePath(cacheDir, row.mask_path));
    await writeLabelIdPng(join(folder, ...file.split('/')), mask);
    entries.push({ file, dataset, relPath: row.rel_path });
  }
  writeFileAtomic(join(folder, MANIFEST_FILE), JSON.stringify({ version: 1, masks: entries }, null, 2));
  return { written: entries.length };
}

/** gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png, keeping Cityscapes names where frames have them. */
export function cityscapesLabelPath(dataset: string, relPath: string, index: number, used: Set<string>): string {
  const parts = relPath.split('/');
  const name = parts[parts.length - 1]!;
  const split = ['train', 'val', 'test'].includes(parts[parts.length - 3] ?? '') ? parts[parts.length - 3]! : 'val';
  const m = CITYSCAPES_NAME.exec(name);
  let file: string;
  if (m) {
    file = `gtFine/${split}/${m[1]}/${m[1]}_${m[2]}_${m[3]}${GT_SUFFIX}`;
  } else {
    const city = dataset.toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_+|_+$/g, '') || 'dashcam';
    file = `gtFine/${split}/${city}/${city}_000000_${String(index).padStart(6, '0')}${GT_SUFFIX}`;
  }
  while (used.has(file)) file = file.replace(GT_SUFFIX, `_${index}${GT_SUFFIX}`);
  used.add(file);
  return file;
}

export async function importMasks(db: Db, folder: string, datasetId: number, writer: MaskWriter): Promise<{ imported: number; unmatched: string[] }> {
  if (!existsSync(folder)) throw new AppError('NOT_FOUND', `${folder}: no such folder`);
  const frames = db.prepare('SELECT id, rel_path, width, height FROM frames WHERE dataset_id = ?').all(datasetId) as {
    id: number;
    rel_path: string;
    width: number | null;
    height: number | null;
  }[];
  const byRelPath = new Map(frames.map((f) => [f.rel_path, f]));
  const byStem = new Map(frames.map((f) => [stemOf(f.rel_path), f]));
  const manifest = readManifest(folder);
  const unmatched: string[] = [];
  let imported = 0;
  for (const file of findLabelFiles(folder)) {
    const rel = relative(folder, file).split(sep).join('/');
    const listed = manifest.get(rel);
    const frame = (listed && byRelPath.get(listed.relPath)) ?? byStem.get(basename(file).slice(0, -GT_SUFFIX.length));
    if (!frame) {
      unmatched.push(rel);
      continue;
    }
    const mask = await readLabelIdPng(file);
    if (frame.width !== null && (mask.width !== frame.width || mask.height !== frame.height)) {
      unmatched.push(`${rel} (${mask.width}×${mask.height}, the frame is ${frame.width}×${frame.height})`);
      continue;
    }
    await writer.saveMask(frame.id, mask);
    imported++;
  }
  return { imported, unmatched };
}

function readManifest(folder: string): Map<string, ManifestEntry> {
  const file = join(folder, MANIFEST_FILE);
  if (!existsSync(file)) return new Map();
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { masks?: ManifestEntry[] };
    return new Map((parsed.masks ?? []).map((e) => [e.file, e]));
  } catch {
    return new Map();
  }
}

function findLabelFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.endsWith(GT_SUFFIX)) out.push(path);
    }
  };
  walk(folder, 0);
  return out.sort();
}

/** A frame's name without extension and the Cityscapes image suffix: the key gtFine files share. */
function stemOf(relPath: string): string {
  return basename(relPath).replace(/\.\w+$/, '').replace(/_leftImg8bit$/, '');
}

const SPOT_HEADER = ['dataset', 'rel_path', 'x', 'y', 'train_id', 'class', 'cant_tell', 'sampler', 'weight', 'answered_at'] as const;

export interface SpotRecord {
  dataset: string;
  relPath: string;
  x: number;
  y: number;
  trainId: number | null;
  className: string | null;
  cantTell: boolean;
  sampler: string;
  weight: number;
  answeredAt: string | null;
}

export function spotRecords(db: Db, store: LabelStore): SpotRecord[] {
  const datasets = new Map((db.prepare('SELECT id, name FROM datasets').all() as { id: number; name: string }[]).map((d) => [d.id, d.name]));
  return store.allSpots().map((s) => ({
    dataset: datasets.get(s.dataset_id) ?? '',
    relPath: s.rel_path,
    x: s.x,
    y: s.y,
    trainId: s.train_id,
    className: s.train_id !== null ? (TRAIN_CLASSES[s.train_id]?.name ?? null) : null,
    cantTell: s.cant_tell === 1,
    sampler: s.sampler,
    weight: s.weight,
    answeredAt: s.answered_at,
  }));
}

export function spotsToCsv(records: readonly SpotRecord[]): string {
  return toCsv(
    SPOT_HEADER,
    records.map((r) => [r.dataset, r.relPath, r.x, r.y, r.trainId, r.className, r.cantTell ? 1 : 0, r.sampler, r.weight, r.answeredAt]),
  );
}

export function spotsToJson(records: readonly SpotRecord[]): string {
  return JSON.stringify({ version: 1, classes: TRAIN_CLASSES.map((c) => c.name), spots: records }, null, 2);
}

export function parseSpots(format: 'csv' | 'json', text: string): SpotRecord[] {
  if (format === 'json') {
    let parsed: { spots?: unknown };
    try {
      parsed = JSON.parse(text) as { spots?: unknown };
    } catch (err) {
      throw new AppError('BAD_REQUEST', `spots JSON does not parse: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed.spots)) throw new AppError('BAD_REQUEST', 'spots JSON has no "spots" array');
    return parsed.spots.map((s, i) => checkRecord(s as Partial<SpotRecord>, i));
  }
  const rows = parseCsv(text);
  const header = rows.shift() ?? [];
  const col = (name: string) => header.indexOf(name);
  for (const name of ['dataset', 'rel_path', 'x', 'y', 'train_id']) {
    if (col(name) < 0) throw new AppError('BAD_REQUEST', `spots CSV lacks the "${name}" column`);
  }
  const get = (row: string[], name: string) => (col(name) >= 0 ? (row[col(name)] ?? '') : '');
  return rows.map((row, i) =>
    checkRecord(
      {
        dataset: get(row, 'dataset'),
        relPath: get(row, 'rel_path'),
        x: Number(get(row, 'x')),
        y: Number(get(row, 'y')),
        trainId: get(row, 'train_id') === '' ? null : Number(get(row, 'train_id')),
        cantTell: get(row, 'cant_tell') === '1' || get(row, 'cant_tell') === 'true',
        sampler: get(row, 'sampler') || 'imported',
        weight: get(row, 'weight') === '' ? 0 : Number(get(row, 'weight')),
        answeredAt: get(row, 'answered_at') || null,
      },
      i,
    ),
  );
}

function checkRecord(r: Partial<SpotRecord>, i: number): SpotRecord {
  const bad = (what: string) => new AppError('BAD_REQUEST', `spot ${i + 1}: ${what}`);
  if (typeof r.dataset !== 'string' || typeof r.relPath !== 'string') throw bad('dataset and rel_path are required');
  if (!Number.isInteger(r.x) || !Number.isInteger(r.y) || r.x! < 0 || r.y! < 0) throw bad('x and y must be whole pixels');
  const trainId = r.trainId ?? null;
  if (trainId !== null && !(Number.isInteger(trainId) && ((trainId >= 0 && trainId < NUM_TRAIN_CLASSES) || trainId === IGNORE_TRAIN_ID))) {
    throw bad(`train_id ${trainId} is not a trainId`);
  }
  const weight = Number.isFinite(r.weight) ? r.weight! : 0;
  return {
    dataset: r.dataset,
    relPath: r.relPath,
    x: r.x!,
    y: r.y!,
    trainId: trainId === IGNORE_TRAIN_ID ? null : trainId,
    className: null,
    cantTell: r.cantTell === true || trainId === IGNORE_TRAIN_ID,
    sampler: typeof r.sampler === 'string' && r.sampler ? r.sampler : 'imported',
    weight: weight >= 0 ? weight : 0,
    answeredAt: r.answeredAt ?? null,
  };
}

/**
 * Imported spots keep their sampler and weight only when they were drawn by this app's
 * unbiased samplers; anything else is treated like "hardest" (shown, never counted), because
 * nothing says how it was chosen.
 */
export function importSpots(db: Db, store: LabelStore, records: readonly SpotRecord[]): { added: number; updated: number; unmatched: number } {
  const frameOf = db.prepare(
    'SELECT f.id, f.width, f.height FROM frames f JOIN datasets d ON d.id = f.dataset_id WHERE d.name = ? AND f.rel_path = ?',
  );
  let added = 0;
  let updated = 0;
  let unmatched = 0;
  db.transaction(() => {
    for (const r of records) {
      const frame = frameOf.get(r.dataset, r.relPath) as { id: number; width: number | null; height: number | null } | undefined;
      if (!frame || (frame.width !== null && (r.x >= frame.width || r.y >= frame.height!))) {
        unmatched++;
        continue;
      }
      const counted = r.sampler === 'uniform' || r.sampler === 'stratified';
      const sampler = counted ? r.sampler : 'hardest';
      const weight = counted ? r.weight : 0;
      if (r.trainId === null && !r.cantTell) {
        added += store.addSpots([{ frameId: frame.id, x: r.x, y: r.y, sampler, weight, seed: 0 }]);
        continue;
      }
      if (store.upsertAnswer(frame.id, r.x, r.y, r.trainId, r.cantTell, sampler, weight) === 'added') added++;
      else updated++;
    }
  })();
  return { added, updated, unmatched };
}
