/**
 * Turns a decoded label PNG into trainIds (255 = ignore), with per-class pixel counts and
 * the values the format does not define. Counting happens in the same pass as the
 * mapping, so the histogram is exact and costs next to nothing beside the inflate.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ImageProblem } from './imageHeader';
import { decodePng, decodePngAsync, type DecodedPng } from './pngDecode';
import { formatRgb, IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES, packRgb, type ColourMapping, type IdMapping } from './taxonomy';

/**
 * How a format stores the class: `value` = palette index, grey level or first channel
 * (any bit depth); `colour` = an RGB colour per class. `rgbFallback` handles value-coded
 * formats whose file was re-saved as RGB (a GTA5 label converted by an image tool).
 */
export type LabelEncoding =
  | { readonly kind: 'value'; readonly mapping: IdMapping; readonly rgbFallback?: ColourMapping }
  | { readonly kind: 'colour'; readonly mapping: ColourMapping };

export interface UnknownValue {
  /** The value as the format writes it: "34" or "(1,2,3)". */
  readonly value: string;
  readonly pixels: number;
}

/** What validation keeps of a label: its size and class counts. */
export interface LabelCounts {
  readonly width: number;
  readonly height: number;
  /** Pixels per trainId 0..18. */
  readonly histogram: number[];
  readonly unknown: UnknownValue[];
}

export interface LabelPixels extends LabelCounts {
  readonly trainIds: Uint8Array;
}

export async function readLabelFile(path: string, encoding: LabelEncoding): Promise<LabelPixels> {
  return labelFromPng(await decodePngAsync(nonEmpty(await readFile(path))), encoding);
}

/**
 * The counts alone, read synchronously (validation's worker threads): for value-coded labels
 * (palette index, grey, first channel) no trainId raster is built, which was most of the JS
 * time of validating a labelled frame, and its GC.
 */
export function readLabelCountsSync(path: string, encoding: LabelEncoding): LabelCounts {
  return labelCountsFromPng(decodePng(nonEmpty(readFileSync(path))), encoding);
}

export function labelCountsFromPng(png: DecodedPng, encoding: LabelEncoding): LabelCounts {
  return mapLabel(png, encoding, null);
}

export function labelFromPng(png: DecodedPng, encoding: LabelEncoding): LabelPixels {
  const trainIds = new Uint8Array(png.width * png.height);
  return { ...mapLabel(png, encoding, trainIds), trainIds };
}

function nonEmpty(bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new ImageProblem('empty', 'file is empty (0 bytes)');
  return bytes;
}

/** Counts a label's classes and, given `trainIds`, fills it with each pixel's trainId. */
function mapLabel(png: DecodedPng, encoding: LabelEncoding, trainIds: Uint8Array | null): LabelCounts {
  const rgbStored = png.colourType === 2 || png.colourType === 6;
  if (encoding.kind === 'colour') return mapColours(png, encoding.mapping, trainIds);
  if (rgbStored && encoding.rgbFallback) return mapColours(png, encoding.rgbFallback, trainIds);
  return countValues(png, encoding.mapping, trainIds);
}

/**
 * Adds runs of equal values at once: labels are long flat runs, and a counter bumped pixel
 * after pixel waits on its own previous store (1.8 ns a pixel measured; by runs, a compare).
 */
function countRuns(samples: Uint8Array, count: number, perValue: Uint32Array): void {
  if (count === 0) return;
  let value = samples[0]!;
  let start = 0;
  for (let p = 1; p < count; p++) {
    const v = samples[p]!;
    if (v !== value) {
      perValue[value]! += p - start;
      value = v;
      start = p;
    }
  }
  perValue[value]! += count - start;
}

/** Counts raw values (and, given `trainIds`, maps each pixel into it). */
function countValues(png: DecodedPng, mapping: IdMapping, trainIds: Uint8Array | null): LabelCounts {
  const { width, height, channels, samples } = png;
  const count = width * height;
  const perValue = new Uint32Array(256);
  let wide: Map<number, number> | null = null;
  const lut = mapping.toTrainId;
  if (samples instanceof Uint8Array) {
    // The common case (8-bit palette or grey), one monomorphic loop each.
    if (channels === 1) countRuns(samples, count, perValue);
    else for (let p = 0, s = 0; p < count; p++, s += channels) perValue[samples[s]!]!++;
    if (trainIds) for (let p = 0, s = 0; p < count; p++, s += channels) trainIds[p] = lut[samples[s]!]!;
  } else {
    for (let p = 0, s = 0; p < count; p++, s += channels) {
      const v = samples[s]!;
      if (v < 256) {
        perValue[v]!++;
        if (trainIds) trainIds[p] = lut[v]!;
      } else {
        // Only 16-bit labels get here; no format defines a value above 255.
        wide ??= new Map();
        wide.set(v, (wide.get(v) ?? 0) + 1);
        if (trainIds) trainIds[p] = IGNORE_TRAIN_ID;
      }
    }
  }
  const histogram = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
  const unknown: UnknownValue[] = [];
  for (let v = 0; v < 256; v++) {
    const n = perValue[v]!;
    if (n === 0) continue;
    const t = lut[v]!;
    if (t < NUM_TRAIN_CLASSES) histogram[t]! += n;
    if (!mapping.documented[v]) unknown.push({ value: String(v), pixels: n });
  }
  for (const [v, n] of wide ?? []) unknown.push({ value: String(v), pixels: n });
  return { width, height, histogram, unknown };
}

function mapColours(png: DecodedPng, mapping: ColourMapping, trainIds: Uint8Array | null): LabelCounts {
  const { width, height, channels, samples, palette, colourType, bitDepth } = png;
  const count = width * height;
  const histogram = new Array<number>(NUM_TRAIN_CLASSES).fill(0);
  const unknownCounts = new Map<number, number>();
  const shift = bitDepth === 16 ? 8 : 0;
  const table = mapping.toTrainId;
  // Labels are large flat regions: remembering the previous colour skips most map lookups.
  let lastColour = -1;
  let lastTrainId = IGNORE_TRAIN_ID;
  let lastKnown = false;
  for (let p = 0, s = 0; p < count; p++, s += channels) {
    let colour: number;
    if (colourType === 3) {
      const i = samples[s]! * 3;
      colour = palette ? packRgb(palette[i] ?? 0, palette[i + 1] ?? 0, palette[i + 2] ?? 0) : 0;
    } else if (colourType === 0 || colourType === 4) {
      const g = samples[s]! >> shift;
      colour = packRgb(g, g, g);
    } else {
      colour = packRgb(samples[s]! >> shift, samples[s + 1]! >> shift, samples[s + 2]! >> shift);
    }
    if (colour !== lastColour) {
      lastColour = colour;
      const t = table.get(colour);
      lastKnown = t !== undefined;
      lastTrainId = t ?? IGNORE_TRAIN_ID;
    }
    if (trainIds) trainIds[p] = lastTrainId;
    if (lastTrainId < NUM_TRAIN_CLASSES) histogram[lastTrainId]!++;
    else if (!lastKnown) unknownCounts.set(colour, (unknownCounts.get(colour) ?? 0) + 1);
  }
  const unknown = [...unknownCounts].map(([c, n]) => ({ value: formatRgb(c), pixels: n }));
  return { width, height, histogram, unknown };
}

/** "34 (1200 px), 40 (3 px)" — the first few, largest first. */
export function describeUnknown(unknown: readonly UnknownValue[], limit = 5): string {
  const sorted = [...unknown].sort((a, b) => b.pixels - a.pixels);
  const shown = sorted.slice(0, limit).map((u) => `${u.value} (${u.pixels} px)`);
  return sorted.length > limit ? `${shown.join(', ')} and ${sorted.length - limit} more` : shown.join(', ');
}
