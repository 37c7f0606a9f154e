/**
 * Works out a dataset folder's format from its layout and, where layouts are shared
 * (images/ + labels/ is GTA5's and some CARLA exports'), from a few sample labels.
 * Reads little: top-level listings and up to three label files.
 */
import { opendirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../common/errors';
import { hasImageExtension } from '../imageHeader';
import { decodePng, type DecodedPng } from '../pngDecode';
import { compareNatural } from '../naturalSort';
import { CARLA_IMAGE_DIRS, CARLA_LABEL_DIRS, carlaTagSet, looksLikeCarlaRaw, sampleCarlaTags } from './carla';
import { GENERIC_CLASSES_FILE, GENERIC_LAYOUT_DIRS } from './generic';
import type { DatasetFormat } from './types';

export type DetectedFormat = DatasetFormat | 'cityscapes-gt';

export interface Detection {
  readonly format: DetectedFormat;
  /** One sentence a user can check against their folder. */
  readonly reason: string;
}

const SAMPLE_LABELS = 3;
/** Bounds on how much of a large tree detection may list. */
const MAX_ENTRIES = 20000;
const MAX_DEPTH = 6;

export function detectFormat(root: string): Detection {
  const top = listDirs(root);
  if (!top) throw new AppError('BAD_DATASET', `${root}: not a readable folder`);
  const has = (name: string): string | undefined => top.get(name);
  const hasFile = (name: string): boolean => safeIsFile(join(root, name));

  const genericLabels = GENERIC_LAYOUT_DIRS.labels.map(([d]) => has(d)).find(Boolean);
  if (hasFile(GENERIC_CLASSES_FILE) && has('images') && genericLabels) {
    return { format: 'generic', reason: `${GENERIC_CLASSES_FILE} with images/ and ${genericLabels}/` };
  }
  if (has('leftimg8bit') && has('gtfine')) return { format: 'cityscapes', reason: 'leftImg8bit/ and gtFine/ folders (Cityscapes layout)' };
  if (has('gtfine')) {
    return { format: 'cityscapes-gt', reason: 'gtFine/ without leftImg8bit/: a Cityscapes ground-truth folder to attach to a frames dataset' };
  }
  const gt = has('gt');
  if (has('rgb') && gt && listDirs(join(root, gt))?.has('labels')) {
    return { format: 'synthia', reason: 'RGB/ and GT/LABELS/ folders (SYNTHIA layout)' };
  }
  const images = has('images');
  const labels = has('labels');
  if (images && labels) return detectSharedLayout(root, join(root, labels));
  const carla = findCarlaLabelDir(root, top);
  if (carla) return detectCarla(root, carla);
  const image = findImage(root);
  if (image !== null) return { format: 'folder', reason: `image files (e.g. ${image}) with no known label layout: a plain frame folder` };
  throw new AppError(
    'BAD_DATASET',
    `${root}: no PNG, JPEG or WebP images found. Expected a plain frame folder or one of: images/+labels/ (GTA5), ` +
      'leftImg8bit/+gtFine/ (Cityscapes), RGB/+GT/LABELS/ (SYNTHIA), rgb/+semantic/ or CameraRGB/+CameraSemSeg/ (CARLA), ' +
      `images/+masks/+${GENERIC_CLASSES_FILE} (generic)`,
  );
}

function detectSharedLayout(root: string, labelDir: string): Detection {
  const samples = sampleLabels(labelDir);
  if (samples.length === 0) return { format: 'gta5', reason: 'images/ and labels/ folders (GTA5 layout); no readable label to check yet' };
  const first = samples[0]!;
  if (samples.every(looksLikeCarlaRaw)) {
    const tagSet = carlaTagSet(sampleCarlaTags(samples), root);
    return { format: tagSet.format, reason: `images/ + labels/ whose labels hold CARLA tags in the red channel; ${tagSet.why}` };
  }
  if (first.colourType === 3 || first.colourType === 0) {
    return { format: 'gta5', reason: 'images/ and labels/ with palette/grey label PNGs (GTA5 layout, index = Cityscapes labelId)' };
  }
  return { format: 'gta5', reason: 'images/ and labels/ with RGB label PNGs, read through the Cityscapes colours (GTA5 layout)' };
}

function detectCarla(root: string, labelDir: string): Detection {
  const where = labelDir.slice(root.length + 1) || labelDir;
  const samples = sampleLabels(labelDir);
  if (samples.length > 0 && samples.every(looksLikeCarlaRaw)) {
    const tagSet = carlaTagSet(sampleCarlaTags(samples), root);
    return { format: tagSet.format, reason: `CARLA layout (${where}/) with raw tags in the red channel; ${tagSet.why}` };
  }
  return { format: 'carla-palette', reason: `CARLA layout (${where}/) with colour labels (CityScapesPalette converter)` };
}

/** Lower-case name → real name of the sub-folders (links to folders included); null if unreadable. */
function listDirs(dir: string): Map<string, string> | null {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const out = new Map<string, string>();
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    // Only links need a stat; a sequence folder of 10k frames must not cost 10k stats.
    if (entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(dir, entry.name)))) out.set(entry.name.toLowerCase(), entry.name);
  }
  return out;
}

/**
 * Sub-folders of a folder that holds at most `limit` entries; null for a bigger one.
 * An episode folder holds a handful of camera folders, a frame folder thousands of files:
 * reading only the first entries keeps detection cheap on the latter.
 */
function listFewDirs(dir: string, limit: number): Map<string, string> | null {
  let handle;
  try {
    handle = opendirSync(dir);
  } catch {
    return null;
  }
  const out = new Map<string, string>();
  try {
    for (let n = 0; ; n++) {
      const entry = handle.readSync();
      if (!entry) return out;
      if (n >= limit) return null;
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(dir, entry.name)))) out.set(entry.name.toLowerCase(), entry.name);
    }
  } catch {
    return null;
  } finally {
    handle.closeSync();
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeIsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A CARLA image/label folder pair at the root or one level down (episode folders). */
function findCarlaLabelDir(root: string, top: Map<string, string>): string | null {
  const candidates: [string, Map<string, string>][] = [[root, top]];
  for (const name of [...top.values()].sort(compareNatural).slice(0, 50)) {
    const sub = listFewDirs(join(root, name), 64);
    if (sub) candidates.push([join(root, name), sub]);
  }
  for (const [dir, dirs] of candidates) {
    const hasImages = CARLA_IMAGE_DIRS.some((d) => dirs.has(d));
    const label = CARLA_LABEL_DIRS.map(([d]) => dirs.get(d)).find(Boolean);
    if (hasImages && label) return join(dir, label);
  }
  return null;
}

function sampleLabels(labelDir: string): DecodedPng[] {
  const out: DecodedPng[] = [];
  for (const file of walkFiles(labelDir, (name) => name.toLowerCase().endsWith('.png'), SAMPLE_LABELS * 3)) {
    try {
      out.push(decodePng(readFileSync(file)));
    } catch {
      continue; // A broken sample is the scan's to report; detection looks at the next one.
    }
    if (out.length >= SAMPLE_LABELS) break;
  }
  return out;
}

function findImage(root: string): string | null {
  const [first] = walkFiles(root, hasImageExtension, 1);
  return first ? first.slice(root.length + 1) : null;
}

/** First `limit` matching files in natural order, depth-first, within the listing bounds. */
function walkFiles(root: string, wanted: (name: string) => boolean, limit: number): string[] {
  const found: string[] = [];
  let seen = 0;
  const visit = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareNatural(a.name, b.name));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (found.length >= limit || ++seen > MAX_ENTRIES) return;
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH) visit(path, depth + 1);
      } else if (entry.isFile() && wanted(entry.name)) {
        found.push(path);
      }
    }
  };
  visit(root, 0);
  return found;
}
