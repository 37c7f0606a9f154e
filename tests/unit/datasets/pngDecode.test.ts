import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodePng, decodePngAsync, type PngError, readPngHeader } from '../../../main/datasets/pngDecode';
import { encodePng, paletteOf } from './helpers/pngWrite';

function samplesFor(width: number, height: number, channels: number, max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width * height * channels; i++) out.push((i * 37 + Math.floor(i / 7) * 11) % (max + 1));
  return out;
}

describe('decodePng', () => {
  const cases = [
    { colourType: 0, bitDepth: 1 },
    { colourType: 0, bitDepth: 2 },
    { colourType: 0, bitDepth: 4 },
    { colourType: 0, bitDepth: 8 },
    { colourType: 0, bitDepth: 16 },
    { colourType: 2, bitDepth: 8 },
    { colourType: 2, bitDepth: 16 },
    { colourType: 3, bitDepth: 4 },
    { colourType: 3, bitDepth: 8 },
    { colourType: 4, bitDepth: 8 },
    { colourType: 6, bitDepth: 8 },
    { colourType: 6, bitDepth: 16 },
  ] as const;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

  for (const { colourType, bitDepth } of cases) {
    for (const interlace of [false, true]) {
      it(`returns the stored samples for colour type ${colourType}, ${bitDepth}-bit${interlace ? ', Adam7' : ''}, all five filters`, () => {
        // 13x11: odd sizes leave partial Adam7 blocks and partial bytes at low depths.
        const width = 13;
        const height = 11;
        const n = channels[colourType];
        const samples = samplesFor(width, height, n, (1 << bitDepth) - 1);
        const png = encodePng({
          width,
          height,
          colourType,
          bitDepth,
          samples,
          palette: colourType === 3 ? paletteOf(Array.from({ length: 16 }, (_, i) => [i, 2 * i, 3 * i] as const)) : undefined,
          filters: [0, 1, 2, 3, 4],
          interlace,
        });
        const decoded = decodePng(png);
        expect([decoded.width, decoded.height, decoded.channels, decoded.bitDepth]).toEqual([width, height, n, bitDepth]);
        expect(Array.from(decoded.samples)).toEqual(samples);
        expect(decoded.samples instanceof Uint16Array).toBe(bitDepth === 16);
      });
    }
  }

  it('keeps palette indices (sharp would expand them to RGB) and the PLTE', async () => {
    const palette = paletteOf([[128, 64, 128], [244, 35, 232], [70, 70, 70]]);
    const indices = [0, 1, 2, 2, 1, 0];
    const png = encodePng({ width: 3, height: 2, colourType: 3, samples: indices, palette });
    const decoded = await decodePngAsync(png);
    expect(Array.from(decoded.samples)).toEqual(indices);
    expect(Array.from(decoded.palette!.subarray(0, 6))).toEqual([128, 64, 128, 244, 35, 232]);
  });

  it('agrees with libvips on an RGB PNG written with libpng\'s adaptive filters', async () => {
    const width = 37;
    const height = 29;
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 5) * 13) & 255;
    const png = await sharp(raw, { raw: { width, height, channels: 3 } }).png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer();
    const decoded = decodePng(png);
    expect(Buffer.from(decoded.samples as Uint8Array).equals(raw)).toBe(true);
  });

  it('reports a file cut short as truncated and foreign bytes as not PNG', () => {
    const png = encodePng({ width: 8, height: 8, colourType: 0, samples: samplesFor(8, 8, 1, 255) });
    for (const cut of [20, 40, png.length - 20, png.length - 5]) {
      expect(() => decodePng(png.subarray(0, cut))).toThrow(expect.objectContaining({ kind: 'truncated' }) as PngError);
    }
    expect(() => decodePng(Buffer.from('GIF89a not a png at all....................'))).toThrow(expect.objectContaining({ kind: 'not_png' }) as PngError);
  });

  it('reads the header alone from the first 33 bytes', () => {
    const png = encodePng({ width: 1914, height: 3, colourType: 3, samples: new Array(1914 * 3).fill(7), palette: paletteOf([[0, 0, 0]]) });
    expect(readPngHeader(png.subarray(0, 33))).toMatchObject({ width: 1914, height: 3, colourType: 3, bitDepth: 8 });
  });
});
