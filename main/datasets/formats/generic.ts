/**
 * A generic segmentation dataset: `images/` + `masks/` (or `labels/`, `annotations/`),
 * same stems, masks as PNG, and `classes.json` at the root saying what mask values mean.
 * classes.json holds exactly one of:
 *   { "mapping": { "<value>": <trainId>, ... } }
 *       mask value (grey level, palette index, or first channel; 0–255) → trainId 0–18 or
 *       255 (ignore). Values not listed are reported as unknown and read as ignore.
 *   { "palette": [[r, g, b, <trainId>], ...] }
 *       exact mask colour → trainId 0–18 or 255; other colours are unknown → ignore.
 * An optional "description" string is allowed alongside.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../common/errors';
import type { LabelEncoding } from '../labelDecode';
import { customColourMapping, customIdMapping, isTrainIdOrIgnore, packRgb } from '../taxonomy';
import { siblingLayoutReader, type SiblingLayoutSpec } from './siblingLayout';
import type { FormatReader } from './types';

export const GENERIC_CLASSES_FILE = 'classes.json';

const Byte = z.number().int().min(0).max(255);
const TrainId = z.number().refine(isTrainIdOrIgnore, 'a trainId is 0–18 or 255');
const GenericClasses = z
  .object({
    description: z.string().optional(),
    mapping: z.record(z.string().regex(/^\d{1,3}$/, 'keys are mask values 0–255'), TrainId).optional(),
    palette: z.array(z.tuple([Byte, Byte, Byte, TrainId])).min(1).optional(),
  })
  .strict()
  .refine((c) => (c.mapping === undefined) !== (c.palette === undefined), 'give exactly one of "mapping" or "palette"');

export const GENERIC_LAYOUT_DIRS = {
  images: ['images'],
  labels: [['masks'], ['labels'], ['annotations']],
} as const;

/** Reads and checks classes.json; throws BAD_DATASET naming the problem. */
export function readGenericEncoding(root: string): LabelEncoding {
  const file = join(root, GENERIC_CLASSES_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError('BAD_DATASET', `${file}: cannot read the class mapping (${(err as Error).message})`);
  }
  const parsed = GenericClasses.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AppError('BAD_DATASET', `${file}: ${first ? `${first.path.join('.') || 'file'}: ${first.message}` : 'invalid'}`);
  }
  const { mapping, palette } = parsed.data;
  if (mapping) {
    const table = new Map<number, number>();
    for (const [value, trainId] of Object.entries(mapping)) {
      const v = Number(value);
      if (v > 255) throw new AppError('BAD_DATASET', `${file}: mask value ${value} is above 255`);
      table.set(v, trainId);
    }
    return { kind: 'value', mapping: customIdMapping(GENERIC_CLASSES_FILE, table) };
  }
  const table = new Map<number, number>();
  for (const [r, g, b, trainId] of palette ?? []) table.set(packRgb(r, g, b), trainId);
  return { kind: 'colour', mapping: customColourMapping(GENERIC_CLASSES_FILE, table) };
}

export function genericLayout(encoding: LabelEncoding): SiblingLayoutSpec {
  return {
    format: 'generic',
    imageDirs: GENERIC_LAYOUT_DIRS.images,
    labelDirs: GENERIC_LAYOUT_DIRS.labels,
    encoding: () => encoding,
  };
}

export function genericReader(root: string): FormatReader {
  return siblingLayoutReader(genericLayout(readGenericEncoding(root)));
}
