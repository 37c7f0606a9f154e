/**
 * Where should per-pixel post-processing run? Measured on a real model, rounds alternating:
 *   stats:  max softmax, entropy and argmax at the model's resolution, appended to the ONNX graph
 *           (one ORT run) vs computed from the logits in typed-array JS;
 *   labels: trainIds at frame resolution, as ORT Resize + ArgMax appended to the graph vs our
 *           boundary-only JS upsampling (src/inference/postprocess.ts, upsampleLabels).
 *
 *   npm run bench -- postprocess
 *   BENCH_ARCH=segnet BENCH_INPUT=128x256 BENCH_FRAME_SIZE=2048x1024 npm run bench -- postprocess
 * Prints ms per frame for each and the ratio js / graph (> 1: the graph is faster).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { buildModel, DataType } from '../main/inference/onnxProto';
import { appendPostProcessing, mapStride, POST } from '../main/inference/postGraph';
import { statsFromLogits, upsampleLabels } from '../main/inference/postprocess';
import { sessionOptions } from '../main/inference/providerService';
import { ensureModel, fmt, median, sharedInput, timeMs } from './lib';

const ARCH = (process.env.BENCH_ARCH ?? 'lraspp') as 'lraspp' | 'deeplabv3' | 'segnet';
const [IH, IW] = (process.env.BENCH_INPUT ?? '256x512').split('x').map(Number) as [number, number];
const [FW, FH] = (process.env.BENCH_FRAME_SIZE ?? '1024x512').split('x').map(Number) as [number, number];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERS = Number(process.env.BENCH_ITERS ?? 5);
const THREADS = Number(process.env.BENCH_THREADS ?? availableParallelism());

async function main(): Promise<void> {
  const path = ensureModel(ARCH);
  const bytes = readFileSync(path);
  const options: ort.InferenceSession.SessionOptions = sessionOptions('cpu', THREADS);
  const bare = await ort.InferenceSession.create(bytes, options);
  const input = bare.inputNames[0]!;
  const logits = bare.outputNames[0]!;
  const withStats = await ort.InferenceSession.create(appendPostProcessing(bytes, { logits, classes: 19 }), options);
  // What the service runs for outputs above MAP_MAX_PIXELS: the same, with maps sampled every `stride` pixels.
  const stride = mapStride(IH, IW);
  const withStrided = await ort.InferenceSession.create(appendPostProcessing(bytes, { logits, classes: 19, stride }), options);
  // The frame-size alternative, on its own: ORT resizes all 19 channels to the frame and takes the argmax.
  const resizeOnly = await ort.InferenceSession.create(
    buildModel({
      nodes: [
        { op: 'Resize', inputs: ['z', '', '', 'sizes'], outputs: ['up'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } },
        { op: 'ArgMax', inputs: ['up'], outputs: ['am'], attrs: { axis: 1, keepdims: 0 } },
        { op: 'Cast', inputs: ['am'], outputs: ['labels'], attrs: { to: DataType.UINT8 } },
      ],
      inputs: [
        { name: 'z', type: DataType.FLOAT, shape: [1, 19, IH, IW] },
        { name: 'sizes', type: DataType.INT64, shape: [4] },
      ],
      outputs: [{ name: 'labels', type: DataType.UINT8, shape: [1, FH, FW] }],
    }),
    options,
  );
  const x = new ort.Tensor('float32', sharedInput(IH, IW), [1, 3, IH, IW]);
  const sizes = new ort.Tensor('int64', BigInt64Array.from([1n, 19n, BigInt(FH), BigInt(FW)]), [4]);

  const graphStats = async () => {
    const r = await withStats.run({ [input]: x }, [logits, POST.labels, POST.confidence, POST.entropy]);
    return { logits: r[logits]!.data as Float32Array, labels: r[POST.labels]!.data as Uint8Array, conf: r[POST.confidence]!.data as Float32Array };
  };
  const jsStats = async () => {
    const z = (await bare.run({ [input]: x }))[logits]!.data as Float32Array;
    const s = statsFromLogits(z, 19, IH, IW);
    return { logits: z, labels: s.labels, conf: s.confidence };
  };
  // Labels are checked on logits shaped like a real scene (regions with boundaries): a random-weight
  // model predicts one class everywhere, which would flatter the boundary-only upsampling.
  const scene = sceneLogits(IH, IW);
  const zScene = new ort.Tensor('float32', scene.logits, [1, 19, IH, IW]);
  const graphLabels = async () => (await resizeOnly.run({ z: zScene, sizes }))['labels']!.data as Uint8Array;
  const jsLabels = async () => upsampleLabels(scene.labels, { data: scene.logits, pixels: null }, 19, IH, IW, FH, FW);

  // Same answers first, then time.
  const [g, j] = [await graphStats(), await jsStats()];
  let confDiff = 0;
  g.conf.forEach((v, i) => (confDiff = Math.max(confDiff, Math.abs(v - j.conf[i]!))));
  const [gl, jl] = [await graphLabels(), await jsLabels()];
  let same = 0;
  gl.forEach((v, i) => (same += v === jl[i] ? 1 : 0));
  console.log(`model ${ARCH} at ${IH}x${IW}, frame ${FW}x${FH}, ${THREADS} threads`);
  console.log(`agreement: max |confidence graph - js| ${confDiff.toExponential(2)}; frame labels equal on ${((100 * same) / gl.length).toFixed(4)}% of pixels`);

  const t: Record<string, number[]> = { bare: [], graphStats: [], jsStats: [], graphStrided: [], jsStrided: [], graphLabels: [], jsLabels: [] };
  const runs: Record<string, () => Promise<unknown>> = {
    bare: () => bare.run({ [input]: x }),
    graphStats,
    graphStrided: () => withStrided.run({ [input]: x }, [logits, POST.labels, POST.confidence, POST.entropy]),
    jsStrided: async () => statsFromLogits((await bare.run({ [input]: x }))[logits]!.data as Float32Array, 19, IH, IW, stride),
    jsStats,
    graphLabels,
    jsLabels,
  };
  for (const fn of Object.values(runs)) await timeMs(2, fn);
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(runs)) t[k]!.push(...(await timeMs(ITERS, fn)));
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  console.log(`ms/frame: model alone ${fmt(m.bare!)}`);
  console.log(`  stats at model resolution:  graph ${fmt(m.graphStats!)} (+${(m.graphStats! - m.bare!).toFixed(1)})   js ${fmt(m.jsStats!)} (+${(m.jsStats! - m.bare!).toFixed(1)})`);
  if (stride > 1) {
    console.log(
      `  stats sampled every ${stride} px (the service's default at this size): graph ${fmt(m.graphStrided!)} (+${(m.graphStrided! - m.bare!).toFixed(1)})   js ${fmt(m.jsStrided!)} (+${(m.jsStrided! - m.bare!).toFixed(1)})`,
    );
  }
  console.log(`  labels at frame resolution (scene-like logits, ${(100 * scene.boundary).toFixed(1)}% boundary cells): graph Resize+ArgMax ${fmt(m.graphLabels!)}   js upsample ${fmt(m.jsLabels!)}`);
  console.log(`RATIO postprocess: stats js/graph = ${(m.jsStats! / m.graphStats!).toFixed(2)}x (sampled: ${(m.jsStrided! / m.graphStrided!).toFixed(2)}x); frame labels graph/js = ${(m.graphLabels! / m.jsLabels!).toFixed(2)}x (> 1: the first named is slower)`);
  await Promise.all([bare.release(), withStats.release(), withStrided.release(), resizeOnly.release()]);
}

/** Road-scene-like logits: sky, road, a few boxes; 4 for the region's class, noise elsewhere. */
function sceneLogits(h: number, w: number): { logits: Float32Array; labels: Uint8Array; boundary: number } {
  const plane = h * w;
  const labels = new Uint8Array(plane);
  const boxes = [[0.1, 0.35, 0.2, 0.3, 13], [0.5, 0.4, 0.15, 0.25, 11], [0.7, 0.1, 0.25, 0.4, 2], [0.05, 0.05, 0.3, 0.3, 8]] as const;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = y < h * 0.45 ? 10 : x < w * 0.15 || x > w * 0.85 ? 1 : 0;
      for (const [bx, by, bw, bh, k] of boxes) if (x >= bx * w && x < (bx + bw) * w && y >= by * h && y < (by + bh) * h) c = k;
      labels[y * w + x] = c;
    }
  }
  const logits = new Float32Array(19 * plane);
  for (let c = 0; c < 19; c++) for (let p = 0; p < plane; p++) logits[c * plane + p] = (labels[p] === c ? 4 : 0) + Math.sin(p * 0.7 + c * 1.3);
  for (let p = 0; p < plane; p++) {
    let b = 0;
    for (let c = 1; c < 19; c++) if (logits[c * plane + p]! > logits[b * plane + p]!) b = c;
    labels[p] = b;
  }
  let edges = 0;
  for (let y = 0; y + 1 < h; y++) for (let x = 0; x + 1 < w; x++) {
    const a = labels[y * w + x];
    if (a !== labels[y * w + x + 1] || a !== labels[(y + 1) * w + x] || a !== labels[(y + 1) * w + x + 1]) edges++;
  }
  return { logits, labels, boundary: edges / plane };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
