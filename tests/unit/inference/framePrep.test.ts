import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import { FramePreparer, prepareFrame, preparerParallelism, type InputSpec } from '../../../main/inference/framePrep';
import { makeTempDir } from '../../helpers/tempDir';
import { writeFrame } from './helpers';

const IMAGENET: InputSpec['norm'] = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const SPECS: InputSpec[] = [
  { height: 128, width: 256, norm: IMAGENET },
  { height: 96, width: 160, norm: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
  { height: 128, width: 256, norm: { mean: [0, 0, 0], std: [1, 1, 1] } },
];

describe('FramePreparer: frames decoded on a worker thread', () => {
  const tmp = makeTempDir('s2r-prep-');
  const frames: string[] = [];
  let preparer: FramePreparer;

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) {
      const png = join(tmp.path, `f${i}.png`);
      await writeFrame(png, 640 + 16 * i, 320, i + 1);
      frames.push(png);
    }
    const jpg = join(tmp.path, 'f6.jpg');
    await sharp(frames[0]).jpeg({ quality: 85 }).toFile(jpg);
    frames.push(jpg);
    preparer = new FramePreparer();
  });
  afterAll(() => {
    preparer.dispose();
    tmp.cleanup();
  });

  it('gives the same tensors as preparing on this thread, in the order asked, from a real worker', async () => {
    const viaWorker = await Promise.all(frames.map((f) => preparer.prepare(f, SPECS)));
    expect(preparer.where).toBe('worker');
    for (const [k, f] of frames.entries()) {
      const here = await prepareFrame(f, SPECS);
      const got = viaWorker[k]!;
      expect([got.width, got.height]).toEqual([here.width, here.height]);
      expect(got.width).toBe(k < 6 ? 640 + 16 * k : 640);
      expect(got.inputs.map((t) => t.length)).toEqual([3 * 128 * 256, 3 * 96 * 160, 3 * 128 * 256]);
      for (let s = 0; s < SPECS.length; s++) expect(Buffer.from(got.inputs[s]!.buffer).equals(Buffer.from(here.inputs[s]!.buffer))).toBe(true);
    }
  });

  it('fills handed-back tensors again, moved to the worker, with the values fresh ones get', async () => {
    const first = await preparer.prepare(frames[0]!, SPECS);
    preparer.recycle(first.inputs);
    // Moved, not copied: this thread's views are detached.
    expect(first.inputs.map((t) => t.length)).toEqual([0, 0, 0]);
    for (const f of [frames[3]!, frames[6]!]) {
      const again = await preparer.prepare(f, SPECS);
      const here = await prepareFrame(f, SPECS);
      for (let s = 0; s < SPECS.length; s++) expect(Buffer.from(again.inputs[s]!.buffer).equals(Buffer.from(here.inputs[s]!.buffer))).toBe(true);
      preparer.recycle(again.inputs);
    }
    // On this thread the same arrays come back, refilled.
    const local = new FramePreparer({ inThread: true });
    const a = await local.prepare(frames[1]!, SPECS.slice(0, 1));
    local.recycle(a.inputs);
    const b = await local.prepare(frames[2]!, SPECS.slice(0, 1));
    expect(b.inputs[0]).toBe(a.inputs[0]);
    expect(Buffer.from(b.inputs[0]!.buffer).equals(Buffer.from((await prepareFrame(frames[2]!, SPECS.slice(0, 1))).inputs[0]!.buffer))).toBe(true);
  });

  it('hands back a bad frame as an AppError naming the file, and goes on', async () => {
    const empty = join(tmp.path, 'empty.png');
    const truncated = join(tmp.path, 'truncated.jpg');
    writeFileSync(empty, '');
    const { readFileSync } = await import('node:fs');
    writeFileSync(truncated, readFileSync(frames[6]!).subarray(0, 100));
    for (const bad of [empty, truncated]) {
      const err = await preparer.prepare(bad, SPECS).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('BAD_DATASET');
      expect((err as AppError).message).toContain(bad);
    }
    const after = await preparer.prepare(frames[1]!, SPECS.slice(0, 1));
    expect(after.inputs).toHaveLength(1);
    expect(preparer.where).toBe('worker');
  });

  it('finishes on this thread what a worker leaves when it stops', async () => {
    const own = new FramePreparer();
    const out = frames.map((f) => own.prepare(f, SPECS.slice(0, 1)));
    own.dispose(); // terminates the worker with requests still out
    const done = await Promise.all(out);
    expect(own.where).toBe('main thread');
    for (const [k, f] of frames.entries()) {
      const here = await prepareFrame(f, SPECS.slice(0, 1));
      expect(Buffer.from(done[k]!.inputs[0]!.buffer).equals(Buffer.from(here.inputs[0]!.buffer))).toBe(true);
    }
  });

  it('prepares on several workers at once, each frame still answered in the order asked', async () => {
    const pool = new FramePreparer({ parallelism: 3 });
    try {
      const twice = [...frames, ...frames];
      const got = await Promise.all(twice.map((f) => pool.prepare(f, SPECS.slice(0, 2))));
      expect(pool.workerCount).toBe(3);
      expect(pool.where).toBe('worker');
      for (const [k, f] of twice.entries()) {
        const here = await prepareFrame(f, SPECS.slice(0, 2));
        for (let s = 0; s < 2; s++) expect(Buffer.from(got[k]!.inputs[s]!.buffer).equals(Buffer.from(here.inputs[s]!.buffer)), `${k}/${s}`).toBe(true);
      }
      // Requests out on every worker when they stop: all finished here, in order.
      const out = twice.map((f) => pool.prepare(f, SPECS.slice(0, 1)));
      pool.dispose();
      const done = await Promise.all(out);
      expect(pool.where).toBe('main thread');
      for (const [k, f] of twice.entries()) expect(done[k]!.width).toBe((await prepareFrame(f, SPECS.slice(0, 1))).width);
    } finally {
      pool.dispose();
    }
  });

  it('sizes the pool by where the model runs', () => {
    // On a GPU every core but the main thread's may prepare (at most 4); on the CPU, a quarter of them.
    expect([1, 2, 4, 16].map((c) => preparerParallelism(c, true))).toEqual([1, 1, 3, 4]);
    expect([1, 2, 4, 8, 16, 32].map((c) => preparerParallelism(c, false))).toEqual([1, 1, 1, 2, 4, 4]);
  });
});
