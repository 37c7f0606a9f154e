import { readFileSync } from 'node:fs';
import sharp, { type Metadata } from 'sharp';
import { AppError } from '../../common/errors';
import { exceedsPixelLimit, MAX_IMAGE_PIXELS, tooLargeMessage } from '../datasets/imageLimits';
import { resizeBilinearLikePillow } from './pilBilinear';

export interface Normalization {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface DecodedFrame {
  /** Frame size on disk: masks are written at this size. */
  readonly width: number;
  readonly height: number;
  /** 8-bit RGB, interleaved, at the model's input size. */
  readonly rgb: Buffer;
  readonly inputWidth: number;
  readonly inputHeight: number;
}

/**
 * Decodes a frame to 8-bit RGB (in libuv's pool, overlapping inference) and resizes it to the
 * model's input size exactly as the training pipeline does (Pillow's bilinear, see pilBilinear.ts).
 * No EXIF rotation, alpha dropped; skipped when the size already matches.
 */
export async function decodeFrame(path: string, inputHeight: number, inputWidth: number): Promise<DecodedFrame> {
  // Read once and decoded from memory: libvips opening the file itself, for the header and again
  // for the pixels, cost ~1 CPU-ms more a 1024x512 JPEG (bench/README.md §2). Read synchronously:
  // an async read is four event-loop turns, each waiting out a session.run on the main thread.
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    throw new AppError('BAD_DATASET', `${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let meta: Metadata;
  try {
    // Header only: the size check below gives the reason in our words rather than libvips'.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new AppError('BAD_DATASET', `${path}: not a readable image (${(err as Error).message})`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // The header alone tells; refusing here keeps a decompression bomb from being allocated.
  if (exceedsPixelLimit(width, height)) throw new AppError('BAD_DATASET', `${path}: ${tooLargeMessage(width, height)}`);
  const { data, info } = await sharp(file, { limitInputPixels: MAX_IMAGE_PIXELS })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new AppError('BAD_DATASET', `${path}: decoded to ${info.width}x${info.height}x${info.channels}, expected RGB`);
  }
  const resized = resizeBilinearLikePillow(data, width, height, inputWidth, inputHeight);
  const rgb = resized === data ? data : Buffer.from(resized.buffer, resized.byteOffset, resized.byteLength);
  return { width, height, rgb, inputWidth, inputHeight };
}

/** Interleaved RGB bytes to planar float32 (NCHW, batch 1): x = (v / 255 - mean) / std. */
export function toTensorData(rgb: Uint8Array, width: number, height: number, norm: Normalization, out?: Float32Array): Float32Array {
  const plane = width * height;
  const data = out ?? new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * norm.std[c]!);
    const shift = norm.mean[c]! / norm.std[c]!;
    const base = c * plane;
    for (let p = 0, i = c; p < plane; p++, i += 3) data[base + p] = rgb[i]! * scale - shift;
  }
  return data;
}
