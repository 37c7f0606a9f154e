/** The counts validation stores equal the counts of the full trainId raster the app reads for display. */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { labelCountsFromPng, readLabelFile, type LabelEncoding } from '../../../main/datasets/labelDecode';
import { decodePng } from '../../../main/datasets/pngDecode';
import { CITYSCAPES_COLOURS, CITYSCAPES_LABEL_IDS } from '../../../main/datasets/taxonomy';
import { cleanupTempDirs, greyPng, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

/** Runs of labelIds with a few undefined values (34, 200) and single-pixel runs between them. */
function labelValues(width: number, height: number): number[] {
  const values: number[] = [];
  for (let p = 0; p < width * height; p++) values.push(p % 97 === 0 ? 200 : p % 53 === 0 ? 34 : [7, 8, 11, 21, 23, 26][Math.floor(p / 37) % 6]!);
  return values;
}

function countsOf(trainIds: Uint8Array): number[] {
  const out = new Array<number>(19).fill(0);
  for (const t of trainIds) if (t < 19) out[t]!++;
  return out;
}

describe('labelCountsFromPng', () => {
  const dir = tempDir('label-counts-');
  const value: LabelEncoding = { kind: 'value', mapping: CITYSCAPES_LABEL_IDS };

  it('gives the histogram and unknown values of the full decode, for grey and RGB-stored labels', async () => {
    const [w, h] = [61, 23];
    const values = labelValues(w, h);
    const grey = put(dir, 'grey.png', greyPng(w, h, values));
    const rgb = Buffer.alloc(w * h * 3);
    values.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
    const colour = put(dir, 'colour.png', await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    for (const [path, encoding] of [[grey, value], [colour, { kind: 'colour', mapping: CITYSCAPES_COLOURS }]] as const) {
      const full = await readLabelFile(path, encoding);
      const counts = labelCountsFromPng(decodePng(readFileSync(path)), encoding);
      expect(counts.histogram).toEqual(full.histogram);
      expect(counts.histogram).toEqual(countsOf(full.trainIds));
      expect(counts.unknown).toEqual(full.unknown);
      expect([counts.width, counts.height]).toEqual([w, h]);
    }
    const counts = labelCountsFromPng(decodePng(readFileSync(grey)), value);
    expect(counts.histogram.reduce((a, b) => a + b, 0)).toBe(values.filter((v) => v !== 200 && v !== 34).length);
    expect(counts.unknown.map((u) => [u.value, u.pixels]).sort()).toEqual([
      ['200', values.filter((v) => v === 200).length],
      ['34', values.filter((v) => v === 34).length],
    ]);
  });
});
