/**
 * Typed-array post-processing. Kept in one pass each and free of allocation inside loops:
 * these run once per frame on frame-sized arrays.
 */

import { D_FLOOR } from './postGraph';

/** Source index pairs and weights of a half-pixel bilinear resize along one axis (PyTorch align_corners=False, ONNX half_pixel). */
export function linearTaps(inLen: number, outLen: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const t = new Float64Array(outLen);
  const scale = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const a = Math.min(Math.floor(src), inLen - 1);
    i0[o] = a;
    i1[o] = Math.min(a + 1, inLen - 1);
    t[o] = a === inLen - 1 ? 0 : src - a;
  }
  return { i0, i1, t };
}

/**
 * Logits for label upsampling: all of them (C planes of H x W), or, from the graph, only at the
 * flat pixel indices `pixels` (C planes of K), which must include every pixel that is a corner of
 * a 2 x 2 block holding two labels (see boundaryLogits in postGraph.ts).
 */
export interface LogitPlanes {
  readonly data: Float32Array;
  readonly pixels: Int32Array | null;
}

/**
 * Labels of the logits bilinearly resized to H x W, then argmax: what evaluation scores, without
 * materialising C x H x W floats. Where the four source pixels agree on their argmax the result is
 * that class (a convex combination cannot overtake a logit that wins at every corner), so such
 * cells are filled as runs and only pixels on class boundaries pay for interpolating all C channels.
 * `counts`, when given (256 entries), gets the class histogram of the result added to it: the runs
 * already know their lengths, which saves a separate pass over the frame-sized mask.
 */
export function upsampleLabels(
  labels: Uint8Array,
  logits: LogitPlanes,
  classes: number,
  h: number,
  w: number,
  outH: number,
  outW: number,
  counts?: Uint32Array,
): Uint8Array {
  const out = new Uint8Array(outH * outW);
  if (outH === h && outW === w) {
    out.set(labels.subarray(0, h * w));
    if (counts) for (let i = 0; i < out.length; i++) counts[out[i]!]!++;
    return out;
  }
  const tally = counts ?? new Uint32Array(256);
  const ys = linearTaps(h, outH);
  const xs = linearTaps(w, outW);
  // Consecutive output columns that read the same pair of source columns form one run.
  const runs: number[] = [];
  for (let x = 0; x < outW; x++) {
    if (x === 0 || xs.i0[x] !== xs.i0[x - 1] || xs.i1[x] !== xs.i1[x - 1]) runs.push(x);
  }
  runs.push(outW);
  // Where pixel p's logits are: at p in planes of h * w, or at its position among `pixels`.
  const { data } = logits;
  const plane = logits.pixels ? logits.pixels.length : h * w;
  let at: Int32Array | null = null;
  if (logits.pixels) {
    at = new Int32Array(h * w).fill(-1);
    for (let k = 0; k < logits.pixels.length; k++) at[logits.pixels[k]!] = k;
  }
  const lo = new Float64Array(classes);
  const slope = new Float64Array(classes);
  const argAt = (tx: number): number => {
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      const v = lo[c]! + slope[c]! * tx;
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    return arg;
  };
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y]! * w;
    const r1 = ys.i1[y]! * w;
    const ty = ys.t[y]!;
    const row = y * outW;
    for (let k = 0; k + 1 < runs.length; k++) {
      const start = runs[k]!;
      const end = runs[k + 1]!;
      const c0 = xs.i0[start]!;
      const c1 = xs.i1[start]!;
      const a = labels[r0 + c0]!;
      if (a === labels[r0 + c1] && a === labels[r1 + c0] && a === labels[r1 + c1]) {
        // Extend over the following runs while they stay uniform in the same class: one fill per stretch.
        let stop = end;
        let j = k + 1;
        for (; j + 1 < runs.length; j++) {
          const d0 = xs.i0[runs[j]!]!;
          const d1 = xs.i1[runs[j]!]!;
          if (labels[r0 + d0] !== a || labels[r0 + d1] !== a || labels[r1 + d0] !== a || labels[r1 + d1] !== a) break;
          stop = runs[j + 1]!;
        }
        out.fill(a, row + start, row + stop);
        tally[a] += stop - start;
        k = j - 1;
        continue;
      }
      // Along a run each class's interpolated logit is linear in tx: lo + (hi - lo) * tx. A class
      // that wins at both ends of the run wins everywhere between (differences of lines keep sign).
      const q00 = at ? at[r0 + c0]! : r0 + c0;
      const q01 = at ? at[r0 + c1]! : r0 + c1;
      const q10 = at ? at[r1 + c0]! : r1 + c0;
      const q11 = at ? at[r1 + c1]! : r1 + c1;
      if ((q00 | q01 | q10 | q11) < 0) throw new Error('upsampleLabels: logits missing at a class boundary');
      for (let c = 0, base = 0; c < classes; c++, base += plane) {
        const l = (1 - ty) * data[base + q00]! + ty * data[base + q10]!;
        lo[c] = l;
        slope[c] = (1 - ty) * data[base + q01]! + ty * data[base + q11]! - l;
      }
      const first = argAt(xs.t[start]!);
      const last = end - 1 > start ? argAt(xs.t[end - 1]!) : first;
      if (first === last) {
        out.fill(first, row + start, row + end);
        tally[first] += end - start;
        continue;
      }
      out[row + start] = first;
      out[row + end - 1] = last;
      tally[first]!++;
      tally[last]!++;
      for (let x = start + 1; x < end - 1; x++) {
        const c = argAt(xs.t[x]!);
        out[row + x] = c;
        tally[c]!++;
      }
    }
  }
  return out;
}

/** One-channel bilinear resize (half-pixel centres). */
export function resizeMap(map: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const ys = linearTaps(h, outH);
  const xs = linearTaps(w, outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.i0[y]! * w;
    const r1 = ys.i1[y]! * w;
    const ty = ys.t[y]!;
    for (let x = 0; x < outW; x++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const tx = xs.t[x]!;
      const top = map[r0 + c0]! * (1 - tx) + map[r0 + c1]! * tx;
      const bottom = map[r1 + c0]! * (1 - tx) + map[r1 + c1]! * tx;
      out[y * outW + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

export interface PixelStats {
  /** Argmax at every pixel. */
  readonly labels: Uint8Array;
  /** Max softmax and entropy (nats) at every stride-th pixel: mapHeight x mapWidth. */
  readonly confidence: Float32Array;
  readonly entropy: Float32Array;
  readonly mapHeight: number;
  readonly mapWidth: number;
}

/**
 * The graph's post-processing (postGraph.ts) in typed-array JS, for models too old for it and as
 * its benchmark baseline. Loops go plane by plane so every read is sequential.
 */
export function statsFromLogits(logits: Float32Array, classes: number, h: number, w: number, stride = 1): PixelStats {
  const plane = h * w;
  const labels = new Uint8Array(plane);
  const max = logits.slice(0, plane);
  for (let c = 1, base = plane; c < classes; c++, base += plane) {
    for (let p = 0; p < plane; p++) {
      const v = logits[base + p]!;
      if (v > max[p]!) {
        max[p] = v;
        labels[p] = c;
      }
    }
  }
  const mh = Math.ceil(h / stride);
  const mw = Math.ceil(w / stride);
  const sum = new Float64Array(mh * mw);
  const sed = new Float64Array(mh * mw);
  for (let c = 0, base = 0; c < classes; c++, base += plane) {
    for (let y = 0, q = 0; y < mh; y++) {
      for (let x = 0, p = y * stride * w; x < mw; x++, q++, p += stride) {
        // Floored as in the graph: a -inf logit's term is 0, not 0 * -inf.
        const d = Math.max(logits[base + p]! - max[p]!, D_FLOOR);
        const e = Math.exp(d);
        sum[q] += e;
        sed[q] += e * d;
      }
    }
  }
  const confidence = new Float32Array(mh * mw);
  const entropy = new Float32Array(mh * mw);
  for (let q = 0; q < mh * mw; q++) {
    const s = sum[q]!;
    confidence[q] = 1 / s;
    entropy[q] = Math.log(s) - sed[q]! / s;
  }
  return { labels, confidence, entropy, mapHeight: mh, mapWidth: mw };
}

export function mean(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length > 0 ? s / values.length : 0;
}

/** Maps [lo, hi] to 0..255 for 8-bit PNG storage. */
export function quantize(values: Float32Array, lo: number, hi: number): Uint8Array {
  const out = new Uint8Array(values.length);
  const k = 255 / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const q = Math.round((values[i]! - lo) * k);
    out[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return out;
}

export function disagreement(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) return NaN;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n / a.length;
}
