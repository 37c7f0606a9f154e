import { isAbsolute, join, normalize, sep } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { AppError } from '../../common/errors';
import { labelIdsToTrainIds, trainIdsToLabelIds } from '../../common/labels/cityscapesIds';
import { encodeGreyPng, readGreyPng } from '../services/greyPng';
import { writeFileAtomicSync } from '../services/safeWrite';

export { encodeGreyPng, readGreyPng };

export interface TrainIdMask {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** The wire form of a mask: zlib-deflated trainId bytes, base64. Masks compress ~50×. */
export interface PackedMask {
  readonly width: number;
  readonly height: number;
  readonly data: string;
}

export function packMask(mask: TrainIdMask): PackedMask {
  return { width: mask.width, height: mask.height, data: deflateSync(mask.data, { level: 6 }).toString('base64') };
}

const MAX_MASK_PIXELS = 8192 * 8192;

export function unpackMask(packed: PackedMask): TrainIdMask {
  const pixels = packed.width * packed.height;
  if (pixels > MAX_MASK_PIXELS) throw new AppError('BAD_REQUEST', `mask of ${packed.width}×${packed.height} is too large`);
  let data: Buffer;
  try {
    data = inflateSync(Buffer.from(packed.data, 'base64'), { maxOutputLength: pixels + 1 });
  } catch (err) {
    throw new AppError('BAD_REQUEST', `mask data does not inflate: ${(err as Error).message}`);
  }
  if (data.length !== pixels) {
    throw new AppError('BAD_REQUEST', `mask data has ${data.length} pixels, expected ${packed.width}×${packed.height}`);
  }
  return { width: packed.width, height: packed.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}


export async function readLabelIdPng(path: string): Promise<TrainIdMask> {
  const mask = await readGreyPng(path);
  return { ...mask, data: labelIdsToTrainIds(mask.data) };
}


/** Writes a trainId mask as a Cityscapes labelIds PNG, atomically: a crash leaves the old file or the new one. */
export async function writeLabelIdPng(path: string, mask: TrainIdMask): Promise<void> {
  const body = await encodeGreyPng(trainIdsToLabelIds(mask.data), mask.width, mask.height);
  writeFileAtomicSync(path, body);
}

/** Write then rename; a full disk is a DISK_FULL error naming the file (services/safeWrite.ts). */
export const writeFileAtomic = writeFileAtomicSync;

/** Prediction and label paths in the database are relative to the project cache. */
export function cachePath(cacheDir: string, stored: string): string {
  // Paths come from the project database; a tampered row must not reach files outside the cache.
  const normal = normalize(stored);
  if (isAbsolute(stored) || normal === '..' || normal.startsWith(`..${sep}`) || stored.includes('\0')) {
    throw new AppError('FORBIDDEN_PATH', `${JSON.stringify(stored.slice(0, 200))}: not a path inside the project cache`);
  }
  return join(cacheDir, normal);
}
