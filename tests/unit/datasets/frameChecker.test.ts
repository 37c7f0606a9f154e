/** FrameChecker: frames checked on real worker threads exactly as on this thread, in order, and the fallback when they stop. */
import { afterAll, describe, expect, it } from 'vitest';
import { checkFrame, type CheckItem } from '../../../main/datasets/frameCheck';
import { FrameChecker } from '../../../main/datasets/frameChecker';
import type { LabelEncoding } from '../../../main/datasets/labelDecode';
import { CITYSCAPES_LABEL_IDS, CITYSCAPES_TRAIN_IDS } from '../../../main/datasets/taxonomy';
import { cleanupTempDirs, greyPng, photoJpeg, photoPng, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

const ENCODINGS: LabelEncoding[] = [
  { kind: 'value', mapping: CITYSCAPES_LABEL_IDS },
  { kind: 'value', mapping: CITYSCAPES_TRAIN_IDS },
];

/** Good and bad images, labels in two encodings, a label of the wrong size and an unreadable one. */
async function items(): Promise<CheckItem[]> {
  const dir = tempDir('frame-check-');
  const jpeg = await photoJpeg(8, 6);
  const image = (name: string, bytes: Buffer) => put(dir, name, bytes);
  const label = (name: string, w: number, h: number, v: number) => put(dir, name, greyPng(w, h, new Array(w * h).fill(v)));
  const item = (rel: string, imagePath: string, labelPath: string | null, encoding = 0): CheckItem => ({ rel, imagePath, labelPath, labelShown: labelPath && `labels/${rel}`, encoding });
  return [
    item('a.png', image('a.png', await photoPng(8, 6)), label('la.png', 8, 6, 7)),
    item('b.jpg', image('b.jpg', jpeg), label('lb.png', 8, 6, 13), 1),
    item('c.jpg', image('c.jpg', jpeg), label('lc.png', 8, 6, 34)),
    item('d.jpg', image('d.jpg', jpeg), label('ld.png', 9, 6, 7)),
    item('e.jpg', image('e.jpg', jpeg), `${dir}/missing-label.png`),
    item('f.jpg', image('f.jpg', jpeg.subarray(0, jpeg.length - 40)), null),
    item('g.png', `${dir}/missing.png`, null),
    ...Array.from({ length: 20 }, (_, i) => item(`n${i}.jpg`, image(`n${i}.jpg`, jpeg), null)),
  ];
}

describe('FrameChecker', () => {
  it('checks batches on worker threads, each in order, exactly as this thread would', async () => {
    const all = await items();
    const here = all.map((i) => checkFrame(i, ENCODINGS));
    expect(here.slice(0, 7).map((c) => [c.status, c.histogram?.findIndex((n) => n > 0) ?? null, c.issues.map((i) => i.code)])).toEqual([
      ['ok', 0, []],
      ['ok', 13, []],
      ['ok', -1, ['unknown_label_values']],
      ['bad_label', null, ['size_mismatch']],
      ['bad_label', null, ['unreadable']],
      ['bad_image', null, ['truncated']],
      ['bad_image', null, ['unreadable']],
    ]);
    const checker = new FrameChecker({ workers: 2 });
    try {
      const batches = [all.slice(0, 9), all.slice(9, 18), all.slice(18), all.slice().reverse()];
      const results = await Promise.all(batches.map((b) => checker.check(b, ENCODINGS)));
      expect(checker.where).toBe('worker');
      results.forEach((r, k) => expect(r).toEqual(batches[k]!.map((i) => checkFrame(i, ENCODINGS))));
    } finally {
      checker.dispose();
    }
  });

  it('finishes on this thread what the workers leave when they stop', async () => {
    const all = await items();
    const checker = new FrameChecker({ workers: 2 });
    const out = [checker.check(all.slice(0, 10), ENCODINGS), checker.check(all.slice(10), ENCODINGS), checker.check(all, ENCODINGS)];
    checker.dispose(); // terminates the workers with batches out and queued
    expect(await Promise.all(out)).toEqual([all.slice(0, 10), all.slice(10), all].map((b) => b.map((i) => checkFrame(i, ENCODINGS))));
    expect(checker.where).toBe('main thread');
  });
});
