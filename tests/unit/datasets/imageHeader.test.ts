import { afterAll, describe, expect, it } from 'vitest';
import { readImageHeader } from '../../../main/datasets/imageHeader';
import { cleanupTempDirs, photoJpeg, photoPng, photoWebp, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

describe('readImageHeader', () => {
  const dir = tempDir('headers-');

  it('reads width and height from PNG, JPEG, lossy and lossless WebP headers', async () => {
    const files = [
      ['a.png', await photoPng(321, 123), 'png'],
      ['b.jpg', await photoJpeg(300, 171), 'jpeg'],
      ['c.webp', await photoWebp(97, 45), 'webp'],
      ['d.webp', await photoWebp(98, 46, true), 'webp'],
    ] as const;
    const sizes = [[321, 123], [300, 171], [97, 45], [98, 46]];
    for (const [i, [name, bytes, kind]] of files.entries()) {
      const reading = readImageHeader(put(dir, name, bytes));
      expect(reading).toEqual({ size: bytes.length, mtimeMs: expect.any(Number), info: { kind, width: sizes[i]![0], height: sizes[i]![1] }, problem: null });
    }
  });

  it('finds the JPEG frame header behind a large metadata segment', async () => {
    const jpeg = await photoJpeg(64, 48);
    const app1 = Buffer.alloc(10000 + 4);
    app1.writeUInt16BE(0xffe1, 0);
    app1.writeUInt16BE(10002, 2);
    const withExif = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    expect(readImageHeader(put(dir, 'exif.jpg', withExif)).info).toEqual({ kind: 'jpeg', width: 64, height: 48 });
  });

  it('tells truncated, empty and non-image files apart', async () => {
    const png = await photoPng(50, 50);
    const jpeg = await photoJpeg(50, 50);
    const webp = await photoWebp(50, 50);
    expect(readImageHeader(put(dir, 'cut.png', png.subarray(0, png.length - 30))).problem?.code).toBe('truncated');
    expect(readImageHeader(put(dir, 'cut.jpg', jpeg.subarray(0, jpeg.length - 100))).problem?.code).toBe('truncated');
    expect(readImageHeader(put(dir, 'cut.webp', webp.subarray(0, webp.length - 10))).problem?.code).toBe('truncated');
    expect(readImageHeader(put(dir, 'head.png', png.subarray(0, 20))).problem?.code).toBe('truncated');
    expect(readImageHeader(put(dir, 'zero.png', Buffer.alloc(0))).problem?.code).toBe('empty');
    expect(readImageHeader(put(dir, 'text.png', 'hello, I am text pretending to be an image')).problem?.code).toBe('not_an_image');
    expect(readImageHeader(`${dir}/missing.png`)).toMatchObject({ size: -1, mtimeMs: -1, info: null, problem: { code: 'unreadable' } });
  });
});
