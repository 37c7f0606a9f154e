/**
 * Resizes interleaved 8-bit RGB exactly as Pillow's `Image.resize(size, Image.BILINEAR)` does,
 * which is how our training pipeline resizes every frame (see the model card's preprocessing).
 * libvips' linear kernel is close but not the same when shrinking, and the masks then drift by
 * 1-3% of pixels, so the app reproduces Pillow's arithmetic: a tent filter widened by the scale,
 * coefficients in 22-bit fixed point, a horizontal pass then a vertical one, each rounded to 8 bits.
 *
 * This runs on every frame of an inference run (it was a third of the pipeline's own CPU time),
 * so coefficients are computed once per size pair and padded with zero weights to a multiple of
 * four taps, letting the inner loops be unrolled over four taps whose weights stay in registers
 * (measured 3x faster than a loop over taps). Zero weights add nothing, and the sums of 8-bit
 * values times 22-bit weights are exact integers below 2^31, so the bytes are Pillow's.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);
const SATURATED = ONE * 256;

interface Taps {
  /** Taps per output pixel: a multiple of 4, all read (missing ones have weight 0). */
  readonly count: number;
  /** First input index of each output pixel; start + count never passes the input's end. */
  readonly start: Int32Array;
  readonly weights: Int32Array;
}

function tent(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow's coefficients (precompute_coeffs), then shifted into a fixed, padded window per output. */
function computeTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the tent's support is 1, widened when shrinking
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const fixed = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  let most = 1;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      taps[x] = tent((x + xmin - center + 0.5) / filterScale);
      sum += taps[x]!;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && sum !== 0 ? taps[x]! / sum : 0;
      fixed[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
    most = Math.max(most, xmax);
  }
  // Inputs narrower than the padded window keep exact windows (the loops below then read past
  // nothing because count is their tap count); such images are a few pixels wide.
  const count = Math.ceil(most / 4) * 4 <= inSize ? Math.ceil(most / 4) * 4 : most;
  const start = new Int32Array(outSize);
  const weights = new Int32Array(outSize * count);
  for (let xx = 0; xx < outSize; xx++) {
    const xmin = bounds[xx * 2]!;
    const s = Math.max(0, Math.min(xmin, inSize - count));
    start[xx] = s;
    for (let x = 0; x < bounds[xx * 2 + 1]!; x++) weights[xx * count + xmin - s + x] = fixed[xx * ksize + x]!;
  }
  return { count, start, weights };
}

// An inference run resizes every frame between the same two sizes.
const cache = new Map<string, Taps>();

function tapsFor(inSize: number, outSize: number): Taps {
  const key = `${inSize}>${outSize}`;
  let t = cache.get(key);
  if (!t) {
    if (cache.size >= 16) cache.clear();
    t = computeTaps(inSize, outSize);
    cache.set(key, t);
  }
  return t;
}

function clip8(v: number): number {
  if (v >= SATURATED) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

function horizontal(src: Uint8Array, width: number, height: number, outWidth: number): Uint8Array {
  const { count, start, weights } = tapsFor(width, outWidth);
  const out = new Uint8Array(outWidth * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * width * 3;
    for (let xx = 0; xx < outWidth; xx++, o += 3) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      let i = row + start[xx]! * 3;
      let k = xx * count;
      let t = 0;
      for (; t + 4 <= count; t += 4, i += 12, k += 4) {
        const w0 = weights[k]!;
        const w1 = weights[k + 1]!;
        const w2 = weights[k + 2]!;
        const w3 = weights[k + 3]!;
        r += src[i]! * w0 + src[i + 3]! * w1 + src[i + 6]! * w2 + src[i + 9]! * w3;
        g += src[i + 1]! * w0 + src[i + 4]! * w1 + src[i + 7]! * w2 + src[i + 10]! * w3;
        b += src[i + 2]! * w0 + src[i + 5]! * w1 + src[i + 8]! * w2 + src[i + 11]! * w3;
      }
      for (; t < count; t++, i += 3, k++) {
        const w = weights[k]!;
        r += src[i]! * w;
        g += src[i + 1]! * w;
        b += src[i + 2]! * w;
      }
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function vertical(src: Uint8Array, width: number, height: number, outHeight: number): Uint8Array {
  const { count, start, weights } = tapsFor(height, outHeight);
  const stride = width * 3;
  const out = new Uint8Array(stride * outHeight);
  // Four input rows at a time into a row of sums: sequential reads, weights held in registers.
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    if (count === 4) {
      // Any shrink by up to 2x (the usual frame to model input): straight to the output row.
      const k = yy * 4;
      const w0 = weights[k]!;
      const w1 = weights[k + 1]!;
      const w2 = weights[k + 2]!;
      const w3 = weights[k + 3]!;
      const r0 = start[yy]! * stride;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      for (let c = 0, o = yy * stride; c < stride; c++, o++) {
        out[o] = clip8(HALF + src[r0 + c]! * w0 + src[r1 + c]! * w1 + src[r2 + c]! * w2 + src[r3 + c]! * w3);
      }
      continue;
    }
    acc.fill(HALF);
    let t = 0;
    for (; t + 4 <= count; t += 4) {
      const k = yy * count + t;
      const w0 = weights[k]!;
      const w1 = weights[k + 1]!;
      const w2 = weights[k + 2]!;
      const w3 = weights[k + 3]!;
      const r0 = (start[yy]! + t) * stride;
      const r1 = r0 + stride;
      const r2 = r1 + stride;
      const r3 = r2 + stride;
      for (let c = 0; c < stride; c++) acc[c] += src[r0 + c]! * w0 + src[r1 + c]! * w1 + src[r2 + c]! * w2 + src[r3 + c]! * w3;
    }
    for (; t < count; t++) {
      const w = weights[yy * count + t]!;
      const r = (start[yy]! + t) * stride;
      for (let c = 0; c < stride; c++) acc[c] += src[r + c]! * w;
    }
    for (let c = 0, o = yy * stride; c < stride; c++, o++) out[o] = clip8(acc[c]!);
  }
  return out;
}

export function resizeBilinearLikePillow(
  rgb: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  let data = rgb;
  if (outWidth !== width) data = horizontal(data, width, height, outWidth);
  if (outHeight !== height) data = vertical(data, outWidth, height, outHeight);
  return data;
}
