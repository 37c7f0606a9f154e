/**
 * Straightforward re-implementations the inference service is checked against: a direct ORT
 * call on the original model file, and post-processing written the slow obvious way (every
 * class interpolated at every pixel, PyTorch's bilinear rule spelled out), sharing no code
 * with main/inference.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
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
