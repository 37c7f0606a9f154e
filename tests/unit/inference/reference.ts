/**
 * Straightforward re-implementations the inference service is checked against: a direct ORT
 * call on the original model file, and post-processing written the slow obvious way (every
 * class interpolated at every pixel, PyTorch's bilinear rule spelled out), sharing no code
 * with main/inference.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ModelRecord } from '../../../main/inference/modelService';
import type { TestProject } from './helpers';
import { resizeBilinearLikePillow } from '../../../main/inference/pilBilinear';

export async function referenceInput(
  path: string,
  height: number,
  width: number,
  mean: readonly number[],
  std: readonly number[],
): Promise<{ data: Float32Array; frameWidth: number; frameHeight: number }> {
  const meta = await sharp(path).metadata();
  const full = await sharp(path).removeAlpha().raw().toBuffer();
  // The documented preprocessing is Pillow's bilinear (checked byte for byte in tests/unit/models).
  const rgb = resizeBilinearLikePillow(full, meta.width!, meta.height!, width, height);
  const data = new Float32Array(3 * height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[c * height * width + y * width + x] = (rgb[(y * width + x) * 3 + c]! / 255 - mean[c]!) / std[c]!;
    }
  }
  return { data, frameWidth: meta.width!, frameHeight: meta.height! };
}

export async function directRun(modelPath: string, inputName: string, outputName: string, input: Float32Array, dims: number[]) {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = (await session.run({ [inputName]: new ort.Tensor('float32', input, dims) }))[outputName]!;
    return { data: out.data as Float32Array, dims: [...out.dims] };
  } finally {
    await session.release();
  }
}

/** PyTorch F.interpolate(mode='bilinear', align_corners=False) source coordinate. */
function source(o: number, inLen: number, outLen: number): [number, number, number] {
  const src = Math.max(0, ((o + 0.5) * inLen) / outLen - 0.5);
  const i0 = Math.min(Math.floor(src), inLen - 1);
  const i1 = i0 < inLen - 1 ? i0 + 1 : i0;
  return [i0, i1, i1 === i0 ? 0 : src - i0];
}

export function bilinear(map: Float32Array, channels: number, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outH; y++) {
      const [y0, y1, ty] = source(y, h, outH);
      for (let x = 0; x < outW; x++) {
        const [x0, x1, tx] = source(x, w, outW);
        const at = (yy: number, xx: number) => map[c * h * w + yy * w + xx]!;
        out[c * outH * outW + y * outW + x] =
          (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
      }
    }
  }
  return out;
}

export function argmax(scores: Float32Array, channels: number, plane: number): Uint8Array {
  const out = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0;
    for (let c = 1; c < channels; c++) if (scores[c * plane + p]! > scores[best * plane + p]!) best = c;
    out[p] = best;
  }
  return out;
}

export function softmaxStats(logits: Float32Array, channels: number, plane: number) {
  const confidence = new Float64Array(plane);
  const entropy = new Float64Array(plane);
  const probs = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    const z = Array.from({ length: channels }, (_, c) => logits[c * plane + p]!);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const q = e.map((v) => v / s);
    q.forEach((v, c) => (probs[c * plane + p] = v));
    confidence[p] = Math.max(...q);
    entropy[p] = -q.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0);
  }
  return { confidence, entropy, probs };
}

export async function readPng(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const meta = await sharp(path).metadata();
  if (meta.channels !== 1) throw new Error(`${path}: ${meta.channels} channels, expected a greyscale PNG`);
  // sharp hands greyscale back as sRGB unless asked for the one channel.
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function sameFraction(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) n++;
  return n / a.length;
}

interface PredictionDb {
  mask_path: string;
  confidence_path: string;
  entropy_path: string;
  class_histogram: string;
  mean_entropy: number;
  mean_confidence: number;
}

/** Checks one cached prediction against a direct ORT call on the model file and the obvious post-processing. */
export async function expectMatchesDirect(p: TestProject, frameId: number, m: ModelRecord, modelPath: string): Promise<void> {
  const frame = p.db.prepare('SELECT f.rel_path, d.root FROM frames f JOIN datasets d ON d.id = f.dataset_id WHERE f.id = ?').get(frameId) as {
    rel_path: string;
    root: string;
  };
  const row = p.db.prepare('SELECT * FROM predictions WHERE frame_id = ? AND model_id = ?').get(frameId, m.id) as PredictionDb;
  expect(row).toBeDefined();
  const { height, width } = m.card.inputSize;
  const input = await referenceInput(join(frame.root, frame.rel_path), height, width, m.card.normalization.mean, m.card.normalization.std);
  const out = await directRun(modelPath, m.card.inputName!, m.card.outputName!, input.data, [1, 3, height, width]);
  const [, classes, h, w] = out.dims as [number, number, number, number];
  const H = input.frameHeight;
  const W = input.frameWidth;

  const mask = await readPng(join(p.cacheDir, row.mask_path));
  expect([mask.width, mask.height]).toEqual([W, H]);
  const refMask = argmax(bilinear(out.data, classes, h, w, H, W), classes, H * W);
  // Exact up to float rounding at near-ties between two classes.
  expect(sameFraction(mask.data, refMask)).toBeGreaterThanOrEqual(0.9999);

  const full = softmaxStats(out.data, classes, h * w);
  // Maps of outputs above 128 x 256 pixels are sampled every `stride` pixels (MAP_MAX_PIXELS).
  const stride = Math.max(1, Math.ceil(Math.sqrt((h * w) / (128 * 256))));
  const [mh, mw] = [Math.ceil(h / stride), Math.ceil(w / stride)];
  const sample = (a: Float64Array) => Float64Array.from({ length: mh * mw }, (_, q) => a[Math.floor(q / mw) * stride * w + (q % mw) * stride]!);
  const stats = { confidence: sample(full.confidence), entropy: sample(full.entropy) };
  const conf = await readPng(join(p.cacheDir, row.confidence_path));
  const ent = await readPng(join(p.cacheDir, row.entropy_path));
  expect([conf.width, conf.height, ent.width, ent.height]).toEqual([mw, mh, mw, mh]);
  expect(maxAbsDiff(conf.data, Array.from(stats.confidence, (v) => Math.round(v * 255)))).toBeLessThanOrEqual(1);
  expect(maxAbsDiff(ent.data, Array.from(stats.entropy, (v) => Math.round((v / Math.log(classes)) * 255)))).toBeLessThanOrEqual(1);
  const avg = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(row.mean_confidence).toBeCloseTo(avg(stats.confidence), 5);
  expect(row.mean_entropy).toBeCloseTo(avg(stats.entropy) / Math.log(classes), 5);

  const histogram = JSON.parse(row.class_histogram) as number[];
  const counts = new Array<number>(classes).fill(0);
  for (const v of mask.data) counts[v]!++;
  expect(histogram).toEqual(counts);
}

/** Checks a frame's "looks synthetic" map and score against the two models run directly, one after the other. */
export async function expectSyntheticMatchesDirect(p: TestProject, frameId: number, feeder: ModelRecord, feederPath: string, discPath: string, pngPath: string): Promise<void> {
  const frame = p.db.prepare('SELECT f.rel_path, d.root FROM frames f JOIN datasets d ON d.id = f.dataset_id WHERE f.id = ?').get(frameId) as {
    rel_path: string;
    root: string;
  };
  const stats = p.db.prepare('SELECT synthetic_score FROM frame_stats WHERE frame_id = ?').get(frameId) as { synthetic_score: number };
  const { height: h, width: w } = feeder.card.inputSize;
  const input = await referenceInput(join(frame.root, frame.rel_path), h, w, feeder.card.normalization.mean, feeder.card.normalization.std);
  const logits = await directRun(feederPath, feeder.card.inputName!, feeder.card.outputName!, input.data, [1, 3, h, w]);
  const [, classes, oh, ow] = logits.dims as [number, number, number, number];
  const { probs } = softmaxStats(logits.data, classes, oh * ow);
  const patch = await directRun(discPath, 'input', 'logits', probs, [1, classes, oh, ow]);
  const [, , ph, pw] = patch.dims as [number, number, number, number];
  const synthetic = bilinear(Float32Array.from(patch.data, (z) => 1 - 1 / (1 + Math.exp(-z))), 1, ph, pw, oh, ow);
  const png = await readPng(pngPath);
  expect([png.width, png.height]).toEqual([ow, oh]);
  expect(maxAbsDiff(png.data, Array.from(synthetic, (v) => Math.round(v * 255)))).toBeLessThanOrEqual(1);
  expect(stats.synthetic_score).toBeCloseTo(synthetic.reduce((s, v) => s + v, 0) / synthetic.length, 5);
}
