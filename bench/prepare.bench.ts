/**
 * Frame preparation (decode, Pillow-exact resize, normalise) on a pool of workers vs one worker,
 * the same frames in the same process, rounds alternating. This is what feeds the model; with
 * the model on a GPU it is what limits a run (see preparerParallelism in main/inference/framePrep.ts).
 *   npm run bench -- prepare                      # the demo's dashcam JPEGs (1024x512) -> 256x512
 *   BENCH_WORKERS=3 BENCH_FRAME=1920x1080 npm run bench -- prepare   # generated 1080p PNGs
 * Prints RATIO prepare: pool / one worker (frames/s); the ideal is the worker count, capped by
 * the cores left to the main thread (2 on this 2-core VM shares one core with it).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { FramePreparer, type InputSpec } from '../main/inference/framePrep';
import { writeFrame } from '../tests/unit/inference/helpers';
import { makeTempDir } from '../tests/helpers/tempDir';
import { median, REPO } from './lib';

const WORKERS = Number(process.env.BENCH_WORKERS ?? Math.max(2, availableParallelism()));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SPECS: InputSpec[] = [{ height: 256, width: 512, norm: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }];

async function frames(tmp: string): Promise<string[]> {
  if (process.env.BENCH_FRAME) {
    const [w, h] = process.env.BENCH_FRAME.split('x').map(Number) as [number, number];
    const out = Array.from({ length: 24 }, (_, i) => join(tmp, `f${i}.png`));
    for (const [i, f] of out.entries()) await writeFrame(f, w, h, i + 1);
    return out;
  }
  const root = join(REPO, 'fixtures', 'demo', 'dashcam', 'frames');
  return readdirSync(root).flatMap((seq) => readdirSync(join(root, seq)).map((f) => join(root, seq, f)));
}

/** Frames per second over the whole list, with `preparer.parallelism + 1` requests out, as a run keeps. */
async function throughput(preparer: FramePreparer, list: string[]): Promise<number> {
  const t0 = performance.now();
  const ahead = list.slice(0, preparer.parallelism + 1).map((f) => preparer.prepare(f, SPECS));
  for (let i = 0; i < list.length; i++) {
    await ahead.shift();
    const next = i + preparer.parallelism + 1;
    if (next < list.length) ahead.push(preparer.prepare(list[next]!, SPECS));
  }
  return list.length / ((performance.now() - t0) / 1000);
}

const tmp = makeTempDir('s2r-bench-prepare-');
try {
  const list = await frames(tmp.path);
  const one = new FramePreparer({ parallelism: 1 });
  const pool = new FramePreparer({ parallelism: WORKERS });
  await throughput(one, list); // warm-up: workers started, JIT, file cache
  await throughput(pool, list);
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await throughput(one, list);
    const b = await throughput(pool, list);
    ratios.push(b / a);
    console.log(`round ${r + 1}: one worker ${a.toFixed(1)} frames/s, ${pool.workerCount} workers ${b.toFixed(1)} frames/s (${(b / a).toFixed(2)}x)`);
  }
  console.log(`${list.length} frames -> 256x512, ${availableParallelism()} cores`);
  console.log(`RATIO prepare: ${WORKERS} workers / one worker = ${median(ratios).toFixed(2)}x (median of ${ROUNDS})`);
  one.dispose();
  pool.dispose();
} finally {
  tmp.cleanup();
}
