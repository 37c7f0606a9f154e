/**
 * A test-only PNG encoder that can write what label files really contain — palette
 * indices with a chosen PLTE, 16-bit samples, 1–4-bit greys — and can force each of the
 * five row filters and Adam7 interlacing, so the decoder's every path is exercised.
 */
import { crc32, deflateSync } from 'node:zlib';

export interface PngSpec {
  readonly width: number;
  readonly height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  readonly colourType: 0 | 2 | 3 | 4 | 6;
  readonly bitDepth?: 1 | 2 | 4 | 8 | 16;
  /** width × height × channels samples, row-major. */
  readonly samples: ArrayLike<number>;
  /** RGB triples, for colour type 3. */
  readonly palette?: Uint8Array;
  /** Filter type per row (cycled); default 0 for every row. */
  readonly filters?: readonly number[];
  readonly interlace?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

export function encodePng(spec: PngSpec): Buffer {
  const depth = spec.bitDepth ?? 8;
  const channels = CHANNELS[spec.colourType];
  const passes = spec.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const chunks: Buffer[] = [];
  let rowCounter = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((spec.width - x0) / dx);
    const h = Math.ceil((spec.height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const rowBytes = Math.ceil((w * channels * depth) / 8);
    const bpp = Math.max(1, (channels * depth) >> 3);
    let prev = new Uint8Array(rowBytes);
    for (let y = 0; y < h; y++) {
      const raw = new Uint8Array(rowBytes);
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < channels; c++) {
          const value = spec.samples[((y0 + y * dy) * spec.width + (x0 + x * dx)) * channels + c]!;
          putSample(raw, x * channels + c, depth, value);
        }
      }
      const filter = spec.filters ? spec.filters[rowCounter++ % spec.filters.length]! : 0;
      chunks.push(Buffer.from([filter]), Buffer.from(applyFilter(filter, raw, prev, bpp)));
      prev = raw;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = depth;
  ihdr[9] = spec.colourType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const parts = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr)];
  if (spec.palette) parts.push(chunk('PLTE', Buffer.from(spec.palette)));
  parts.push(chunk('IDAT', deflateSync(Buffer.concat(chunks))), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

function putSample(row: Uint8Array, index: number, depth: number, value: number): void {
  if (depth === 8) row[index] = value;
  else if (depth === 16) {
    row[index * 2] = value >> 8;
    row[index * 2 + 1] = value & 255;
  } else {
    const perByte = 8 / depth;
    const shift = 8 - depth * ((index % perByte) + 1);
    row[Math.floor(index / perByte)]! |= (value & ((1 << depth) - 1)) << shift;
  }
}

function applyFilter(filter: number, raw: Uint8Array, prev: Uint8Array, bpp: number): Uint8Array {
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const a = i >= bpp ? raw[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    let predictor = 0;
    if (filter === 1) predictor = a;
    else if (filter === 2) predictor = b;
    else if (filter === 3) predictor = (a + b) >> 1;
    else if (filter === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[i] = (raw[i]! - predictor) & 255;
  }
  return out;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A full 256-entry PLTE with the given colours first, like the GTA5 and PIL 'P' files. */
export function paletteOf(colours: readonly (readonly [number, number, number])[]): Uint8Array {
  const palette = new Uint8Array(256 * 3);
  colours.forEach((c, i) => palette.set(c, i * 3));
  return palette;
}
