/** HeaderReader: frame headers read on a real worker thread, the same as on this thread, and the fallback when it stops. */
import { afterAll, describe, expect, it } from 'vitest';
import { HeaderReader } from '../../../main/datasets/headerReader';
import { readImageHeader } from '../../../main/datasets/imageHeader';
import { cleanupTempDirs, photoJpeg, photoPng, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

async function frames(): Promise<string[]> {
  const dir = tempDir('headers-worker-');
  const jpeg = await photoJpeg(40, 30);
  return [
    put(dir, 'a.png', await photoPng(33, 21)),
    put(dir, 'b.jpg', jpeg),
    put(dir, 'cut.jpg', jpeg.subarray(0, jpeg.length - 50)),
    put(dir, 'zero.png', Buffer.alloc(0)),
    `${dir}/missing.jpg`,
  ];
}

describe('HeaderReader', () => {
  it('reads a batch on a worker thread, in order, exactly as this thread would', async () => {
    const paths = await frames();
    const reader = new HeaderReader();
    try {
      const [first, second] = await Promise.all([reader.read(paths), reader.read(paths.slice().reverse())]);
      expect(reader.where).toBe('worker');
      expect(first).toEqual(paths.map(readImageHeader));
      expect(second).toEqual(paths.slice().reverse().map(readImageHeader));
      expect(first.map((r) => r.info?.width ?? r.problem!.code)).toEqual([33, 40, 'truncated', 'empty', 'unreadable']);
    } finally {
      reader.dispose();
    }
  });

  it('finishes on this thread what a worker leaves when it stops', async () => {
    const paths = await frames();
    const reader = new HeaderReader();
    const out = reader.read(paths);
    reader.dispose(); // terminates the worker with the batch still out
    expect(await out).toEqual(paths.map(readImageHeader));
    expect(reader.where).toBe('main thread');
    expect(await reader.read(paths.slice(0, 2))).toEqual(paths.slice(0, 2).map(readImageHeader));
  });
});
