import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../services/safeWrite';

/** Paths of a prediction's files, relative to the project's cache dir (so the project folder can move). */
export function predictionPaths(modelId: number, frameId: number) {
  const dir = `predictions/m${modelId}`;
  return {
    mask: `${dir}/${frameId}.mask.png`,
    confidence: `${dir}/${frameId}.confidence.png`,
    entropy: `${dir}/${frameId}.entropy.png`,
    synthetic: `${dir}/${frameId}.synthetic.png`,
  };
}

/**
 * Writes an 8-bit greyscale PNG under the cache dir. The file appears at its final name only
 * when complete (write then rename); the database row written afterwards is what marks a
 * frame done, so a file without a row is simply rewritten by the next run.
 */
export async function writeGreyPng(cacheDir: string, rel: string, data: Uint8Array, width: number, height: number): Promise<void> {
  // Without 'b-w', sharp writes one-channel data as an RGB PNG (three times the bytes).
  const body = await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 3, adaptiveFiltering: false }) // measured fastest here, and small for masks
    .toBuffer();
  await writeFileAtomic(join(cacheDir, rel), body);
}

export async function readGreyPng(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
