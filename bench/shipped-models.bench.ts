/**
 * What each shipped model costs per frame in onnxruntime-node, against source_only in the same
 * run: the adapted model carries its test-time augmentation inside the graph (card field
 * `test_time_augmentation`), so its cost differs from the plain net's by the views it runs.
 * Sessions are opened as the app opens them (`sessionOptions`, CPU provider), at each card's input
 * size, batch 1; the models take turns round by round, so load from other processes falls on all alike.
 *
 *   npm run bench -- shipped-models
 *   BENCH_THREADS=1 BENCH_ROUNDS=7 npm run bench -- shipped-models
 *   BENCH_EXTRA=/path/old_adapted.onnx npm run bench -- shipped-models   (a file to compare, same input size)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { sessionOptions } from '../main/inference/providerService';
import { REPO, median, sharedInput, timeMs } from './lib';

const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERS = Number(process.env.BENCH_ITERS ?? 10);
const MODELS = join(REPO, 'native-models', 'models');

interface Card {
  input_size: { height: number; width: number };
  test_time_augmentation?: { scales: number[]; flip: boolean; relative_cost: number } | null;
}

async function main(): Promise<void> {
  const names = ['source_only', 'adapted', 'oracle'];
  const files = names.map((n) => join(MODELS, `${n}.onnx`));
  if (process.env.BENCH_EXTRA) files.push(process.env.BENCH_EXTRA);
  const card = JSON.parse(readFileSync(join(MODELS, 'source_only.card.json'), 'utf8')) as Card;
  const { height, width } = card.input_size;
  const feeds = { input: new ort.Tensor('float32', sharedInput(height, width), [1, 3, height, width]) };
  const sessions = await Promise.all(files.map((f) => ort.InferenceSession.create(f, sessionOptions('cpu', THREADS))));
  for (const s of sessions) await s.run(feeds); // first run allocates; not timed
  const perModel: number[][] = files.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < sessions.length; i++) perModel[i]!.push(median(await timeMs(ITERS, () => sessions[i]!.run(feeds))));
  }
  console.log(`input 1x3x${height}x${width}, ${THREADS} thread(s), ${ROUNDS} rounds x ${ITERS} runs, load ${loadavg()[0]!.toFixed(2)}`);
  const base = median(perModel[0]!);
  for (let i = 0; i < files.length; i++) {
    const cardPath = files[i]!.replace(/\.onnx$/, '.card.json');
    let tta = '';
    try {
      const c = JSON.parse(readFileSync(cardPath, 'utf8')) as Card;
      if (c.test_time_augmentation) tta = `  (TTA scales ${c.test_time_augmentation.scales.join(',')}${c.test_time_augmentation.flip ? ' + flip' : ''}, nominal ${c.test_time_augmentation.relative_cost}x)`;
    } catch {
      // a file without a card: timed all the same
    }
    const ms = median(perModel[i]!);
    console.log(`${basename(files[i]!).padEnd(20)} ${ms.toFixed(2).padStart(8)} ms/frame  RATIO vs source_only ${(ms / base).toFixed(2)}x${tta}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
