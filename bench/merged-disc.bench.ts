/**
 * The discriminator merged into its feeder's graph vs run in its own session (the softmax copied
 * out of ORT and back in), through SegmentationSession as a run uses it, same frames, rounds
 * alternating. Our shipped models (native-models/models: adapted + discriminator), CPU.
 *   npm run bench -- merged-disc                    # 128x256 (their size)
 *   BENCH_INPUT=256x512 BENCH_THREADS=2 npm run bench -- merged-disc
 * Prints RATIO merged-disc: separate / merged (time per frame, > 1: merging is faster).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoredCard } from '../main/inference/modelCard';
import { ProviderProbe } from '../main/inference/providerProbe';
import { ProviderService } from '../main/inference/providerService';
import { DiscriminatorSession, SegmentationSession } from '../main/inference/sessions';
import { SettingsStore } from '../main/services/settingsStore';
import { makeTempDir } from '../tests/helpers/tempDir';
import { median, REPO, sharedInput } from './lib';

const DIR = join(REPO, 'native-models', 'models');
const [H, W] = (process.env.BENCH_INPUT ?? '128x256').split('x').map(Number) as [number, number];
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERS = 10;

const tmp = makeTempDir('s2r-bench-merge-');
try {
  const card = (name: string) => ({ ...parseStoredCard(readFileSync(join(DIR, `${name}.card.json`), 'utf8')), inputSize: { height: H, width: W } });
  const [segCard, discCard] = [card('adapted'), card('discriminator')];
  const [seg, disc] = [readFileSync(join(DIR, 'adapted.onnx')), readFileSync(join(DIR, 'discriminator.onnx'))];
  const providers = new ProviderService({ settings: new SettingsStore(tmp.path), probe: new ProviderProbe({ cacheDir: null }), threads: THREADS, pinOverride: 'cpu' });
  const feeds = discCard.discriminatorInput;
  const merged = await SegmentationSession.open(seg, segCard, providers, 'adapted.onnx', { discriminatorInput: feeds, discriminator: { bytes: disc, card: discCard } });
  const alone = await SegmentationSession.open(seg, segCard, providers, 'adapted.onnx', { discriminatorInput: feeds });
  const discSession = await DiscriminatorSession.open(disc, discCard, providers, 'discriminator.onnx');
  if (!merged.mergedDiscriminator) throw new Error('the merge was refused');
  const x = sharedInput(H, W);
  const frame = { height: H, width: W };
  const runs = {
    separate: async () => {
      const out = await alone.infer(x, frame);
      return (await discSession.synthetic(out.discInput!, out.height, out.width)).map;
    },
    merged: async () => (await merged.infer(x, frame)).synthetic!.map,
  };
  const a = await runs.separate();
  const b = await runs.merged();
  const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const ms: Record<keyof typeof runs, number[]> = { separate: [], merged: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of ['separate', 'merged'] as const) {
      for (let i = 0; i < ITERS; i++) {
        const t0 = performance.now();
        await runs[k]();
        ms[k].push(performance.now() - t0);
      }
    }
  }
  console.log(`adapted + discriminator at ${H}x${W}, ${THREADS} threads: separate ${median(ms.separate).toFixed(2)} ms, merged ${median(ms.merged).toFixed(2)} ms a frame; max |diff| ${diff.toExponential(1)}`);
  console.log(`RATIO merged-disc: separate / merged = ${(median(ms.separate) / median(ms.merged)).toFixed(2)}x (medians of ${ROUNDS * ITERS})`);
  await Promise.all([merged.dispose(), alone.dispose(), discSession.dispose()]);
} finally {
  tmp.cleanup();
}
