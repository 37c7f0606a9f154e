import { join } from 'node:path';
import { encodeGreyPng } from '../services/greyPng';
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
  const body = await encodeGreyPng(data, width, height);
  await writeFileAtomic(join(cacheDir, rel), body);
}

export { readGreyPng } from '../services/greyPng';
