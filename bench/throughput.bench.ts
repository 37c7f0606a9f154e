/**
 * Folder-to-masks throughput (decode, resize, normalise, infer, post-process, write three PNGs,
 * commit to SQLite) against the bare model (session.run on a ready tensor), same model, same
 * threads, same machine, rounds alternating.
 *
 *   npm run bench -- throughput
 *   BENCH_ARCH=segnet BENCH_INPUT=128x256 BENCH_FRAMES=24 BENCH_FRAME_SIZE=1024x512 npm run bench -- throughput
 *   BENCH_FRAMES_DIR=fixtures/demo/dashcam/frames/seq000 npm run bench -- throughput
 * Prints frames/s of both and the ratio folder / bare (goal >= 0.85).
 */
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openProjectDatabase } from '../main/db/projectDatabase';
import { detachedJobContext } from '../main/jobs/jobContext';
import { FramePreparer } from '../main/inference/framePrep';
import { InferenceService } from '../main/inference/inferenceService';
import { ModelService } from '../main/inference/modelService';
import { ProviderProbe } from '../main/inference/providerProbe';
import { ProviderService, sessionOptions } from '../main/inference/providerService';
import { SettingsStore } from '../main/services/settingsStore';
import { makeTempDir } from '../tests/helpers/tempDir';
import { writeFrame } from '../tests/unit/inference/helpers';
import { ensureModel, median, sharedInput, timeMs } from './lib';

const ARCH = (process.env.BENCH_ARCH ?? 'lraspp') as 'lraspp' | 'deeplabv3' | 'segnet';
const [IH, IW] = (process.env.BENCH_INPUT ?? '256x512').split('x').map(Number) as [number, number];
const [FW, FH] = (process.env.BENCH_FRAME_SIZE ?? '1024x512').split('x').map(Number) as [number, number];
const FRAMES = Number(process.env.BENCH_FRAMES ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());
const POST = process.env.BENCH_POST as 'graph' | 'js' | undefined;

async function main(): Promise<void> {
  const tmp = makeTempDir('s2r-bench-');
  const db = openProjectDatabase(join(tmp.path, 'project.sqlite'));
  try {
    const modelPath = ensureModel(ARCH);
    const frames = await frameFiles(tmp.path);
    const addDataset = (name: string, files: string[]) => {
      // Frame paths are absolute under a per-dataset root of '/' + name's tail, which keeps (root, role) unique.
      const root = name === 'bench' ? '/' : '//';
      const id = Number(db.prepare("INSERT INTO datasets (name, role, root, format) VALUES (?, 'dashcam', ?, 'folder')").run(name, root).lastInsertRowid);
      files.forEach((f, i) => db.prepare('INSERT INTO frames (dataset_id, rel_path, size_bytes, mtime_ms, sort_key) VALUES (?, ?, 0, 0, ?)').run(id, f.slice(1), i));
      return id;
    };
    const warm = addDataset('warm-up', frames.slice(0, 2));
    const bench = addDataset('bench', frames);
    const providers = new ProviderService({ settings: new SettingsStore(join(tmp.path, 'home')), probe: new ProviderProbe({ cacheDir: null }), threads: THREADS });
    const models = new ModelService(db, providers, POST);
    const inference = new InferenceService({ db, cacheDir: join(tmp.path, 'cache'), models });
    // The same service with frames prepared on the main thread, as before the worker: the A/B.
    const inThread = new InferenceService({ db, cacheDir: join(tmp.path, 'cache'), models, preparer: new FramePreparer({ inThread: true }) });
    const m = await models.import({ path: modelPath, inputSize: { height: IH, width: IW } });
    await inference.execute(inference.createRun(warm, [m.id]), detachedJobContext());
    await inThread.execute(inThread.createRun(warm, [m.id]), detachedJobContext());

    const bare = await ort.InferenceSession.create(modelPath, sessionOptions('cpu', THREADS));
    const feeds = { [bare.inputNames[0]!]: new ort.Tensor('float32', sharedInput(IH, IW), [1, 3, IH, IW]) };
    await timeMs(3, () => bare.run(feeds));

    console.log(`model ${ARCH} at ${IH}x${IW}, ${frames.length} frames of ${frameDesc()}, ${THREADS} threads, post-processing ${POST ?? 'default'}`);
    const bareFps: number[] = [];
    const folderFps: number[] = [];
    const inThreadFps: number[] = [];
    const folder = async (service: InferenceService): Promise<number> => {
      db.prepare('DELETE FROM predictions WHERE model_id = ?').run(m.id);
      const outcome = await service.execute(service.createRun(bench, [m.id]), detachedJobContext());
      if (outcome.processed !== frames.length) throw new Error(`processed ${outcome.processed} of ${frames.length}`);
      return outcome.processed / outcome.seconds;
    };
    for (let r = 0; r < ROUNDS; r++) {
      const ms = await timeMs(frames.length, () => bare.run(feeds));
      bareFps.push(1000 / (ms.reduce((a, b) => a + b, 0) / ms.length));
      folderFps.push(await folder(inference));
      inThreadFps.push(await folder(inThread));
      console.log(
        `round ${r + 1}: bare model ${bareFps[r]!.toFixed(2)} frames/s, folder to masks ${folderFps[r]!.toFixed(2)} frames/s ` +
          `(${(folderFps[r]! / bareFps[r]!).toFixed(2)}), frames prepared on the main thread ${inThreadFps[r]!.toFixed(2)} (${(inThreadFps[r]! / bareFps[r]!).toFixed(2)})`,
      );
    }
    const ratio = median(folderFps) / median(bareFps);
    console.log(`RATIO throughput: folder-to-masks / bare model = ${ratio.toFixed(2)} (${median(folderFps).toFixed(2)} vs ${median(bareFps).toFixed(2)} frames/s; goal >= 0.85)`);
    console.log(`RATIO prepared on the main thread / bare model = ${(median(inThreadFps) / median(bareFps)).toFixed(2)} (what the worker thread replaced)`);
    inference.dispose();
    inThread.dispose();
    await bare.release();
    await models.dispose();
  } finally {
    db.close();
    tmp.cleanup();
  }
}

/** The frames to run: a folder given in BENCH_FRAMES_DIR, or road-like PNGs written here. */
async function frameFiles(dir: string): Promise<string[]> {
  const given = process.env.BENCH_FRAMES_DIR;
  if (given) {
    const root = resolve(given);
    return readdirSync(root)
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .sort()
      .slice(0, FRAMES)
      .map((f) => join(root, f))
      .filter((f) => statSync(f).isFile());
  }
  const out: string[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const f = join(dir, `frame${i}.png`);
    await writeFrame(f, FW, FH, i + 1);
    out.push(f);
  }
  return out;
}

function frameDesc(): string {
  return process.env.BENCH_FRAMES_DIR ? `${process.env.BENCH_FRAMES_DIR}` : `${FW}x${FH} (generated PNG)`;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
