/**
 * Where folder-to-masks time goes: the throughput benchmark's stages run one after another,
 * each timed in CPU-ms of the whole process (ORT's and libvips' threads included), so the stages
 * add up to what a frame costs when nothing overlaps. On a machine whose cores are all busy,
 * that sum against the bare model's CPU-ms bounds the throughput ratio.
 *
 *   npx tsx bench/stages.ts                               # LR-ASPP at 256x512, 16 generated 1024x512 PNGs
 *   BENCH_FRAMES_DIR=fixtures/demo/dashcam/frames/seq000 npx tsx bench/stages.ts
 * Not a *.bench.ts: it prints a table, not a RATIO line.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openProjectDatabase } from '../main/db/projectDatabase';
import { writeGreyPng } from '../main/inference/frameOutputs';
import { ModelService } from '../main/inference/modelService';
import { mean, quantize, upsampleLabels } from '../main/inference/postprocess';
import { decodeFrame, toTensorData } from '../main/inference/preprocess';
import { ProviderProbe } from '../main/inference/providerProbe';
import { ProviderService, sessionOptions } from '../main/inference/providerService';
import { SettingsStore } from '../main/services/settingsStore';
import { makeTempDir } from '../tests/helpers/tempDir';
import { writeFrame } from '../tests/unit/inference/helpers';
import { ensureModel, median, sharedInput } from './lib';

const ARCH = (process.env.BENCH_ARCH ?? 'lraspp') as 'lraspp' | 'deeplabv3' | 'segnet';
const [IH, IW] = (process.env.BENCH_INPUT ?? '256x512').split('x').map(Number) as [number, number];
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const tmp = makeTempDir('s2r-stages-');
  const db = openProjectDatabase(join(tmp.path, 'project.sqlite'));
  try {
    const modelPath = ensureModel(ARCH);
    const frames = process.env.BENCH_FRAMES_DIR
      ? readdirSync(process.env.BENCH_FRAMES_DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(process.env.BENCH_FRAMES_DIR!, f))
      : await Promise.all(Array.from({ length: 16 }, (_, i) => join(tmp.path, `frame${i}.png`)).map(async (f, i) => (await writeFrame(f, 1024, 512, i + 1), f)));
    const providers = new ProviderService({ settings: new SettingsStore(join(tmp.path, 'home')), probe: new ProviderProbe({ cacheDir: null }), threads: THREADS });
    const models = new ModelService(db, providers);
    const m = await models.import({ path: modelPath, inputSize: { height: IH, width: IW } });
    const session = await models.segmentation(m.id);
    const bare = await ort.InferenceSession.create(modelPath, sessionOptions('cpu', THREADS));
    const bareFeeds = { [bare.inputNames[0]!]: new ort.Tensor('float32', sharedInput(IH, IW), [1, 3, IH, IW]) };
    const classes = m.card.classNames.length;

    const spent = new Map<string, number[]>();
    const time = async <T>(stage: string, fn: () => Promise<T> | T): Promise<T> => {
      const c0 = cpuMs();
      const out = await fn();
      const ms = cpuMs() - c0;
      if (!spent.has(stage)) spent.set(stage, []);
      spent.get(stage)!.push(ms);
      return out;
    };
    // Round 0 warms up (JIT, ORT's arena) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      if (round === 1) spent.clear();
      for (const [i, path] of frames.entries()) {
        await time('bare model (session.run alone)', () => bare.run(bareFeeds));
        const d = await time('decode + resize (sharp, Pillow bilinear)', () => decodeFrame(path, IH, IW));
        const x = await time('normalise to NCHW float32', () => toTensorData(d.rgb, IW, IH, m.card.normalization));
        const out = await time('model + post-processing graph', () => session.infer(x, d));
        const mask = await time('labels to frame size (+ histogram)', () =>
          upsampleLabels(out.labels, out.logits, classes, out.labelHeight, out.labelWidth, d.height, d.width, new Uint32Array(256)),
        );
        const [c8, e8] = await time('quantise maps, means', () => {
          mean(out.confidence);
          mean(out.entropy);
          return [quantize(out.confidence, 0, 1), quantize(out.entropy, 0, Math.log(classes))];
        });
        await time('encode + write 3 PNGs', () =>
          Promise.all([
            writeGreyPng(tmp.path, `out/${i}.mask.png`, mask, d.width, d.height),
            writeGreyPng(tmp.path, `out/${i}.confidence.png`, c8!, out.mapWidth, out.mapHeight),
            writeGreyPng(tmp.path, `out/${i}.entropy.png`, e8!, out.mapWidth, out.mapHeight),
          ]),
        );
      }
    }
    console.log(`model ${ARCH} at ${IH}x${IW}, ${frames.length} frames x ${ROUNDS} rounds, ${THREADS} threads; CPU-ms per frame (median)`);
    let pipeline = 0;
    let bareMs = 0;
    for (const [stage, ms] of spent) {
      const med = median(ms);
      if (stage.startsWith('bare')) bareMs = med;
      else pipeline += med;
      console.log(`${stage.padEnd(42)} ${med.toFixed(1).padStart(7)}`);
    }
    console.log(`${'pipeline stages together'.padEnd(42)} ${pipeline.toFixed(1).padStart(7)}  (bare / pipeline = ${(bareMs / pipeline).toFixed(2)}; SQLite commit not included, ~1 ms)`);
    await bare.release();
    await models.dispose();
  } finally {
    db.close();
    tmp.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
