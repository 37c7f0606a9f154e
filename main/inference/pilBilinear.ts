/**
 * Resizes interleaved 8-bit RGB exactly as Pillow's `Image.resize(size, Image.BILINEAR)` does,
 * which is how our training pipeline resizes every frame (see the model card's preprocessing).
 * libvips' linear kernel is close but not the same when shrinking, and the masks then drift by
 * 1-3% of pixels, so the app reproduces Pillow's arithmetic: a tent filter widened by the scale,
 * coefficients in 22-bit fixed point, a horizontal pass then a vertical one, each rounded to 8 bits.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  readonly ksize: number;
  readonly bounds: Int32Array; // per output pixel: first input index, tap count
  readonly weights: Int32Array; // ksize fixed-point weights per output pixel
}

function tent(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the tent's support is 1, widened when shrinking
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
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
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

function horizontal(src: Uint8Array, width: number, height: number, outWidth: number): Uint8Array {
  const { ksize, bounds, weights } = coefficients(width, outWidth);
  const out = new Uint8Array(outWidth * height * 3);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const k = xx * ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < xmax; x++) {
        const w = weights[k + x]!;
        const i = row + (x + xmin) * 3;
        r += src[i]! * w;
        g += src[i + 1]! * w;
        b += src[i + 2]! * w;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function vertical(src: Uint8Array, width: number, height: number, outHeight: number): Uint8Array {
  const { ksize, bounds, weights } = coefficients(height, outHeight);
  const out = new Uint8Array(width * outHeight * 3);
  const stride = width * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2]!;
    const ymax = bounds[yy * 2 + 1]!;
    const k = yy * ksize;
    for (let c = 0; c < stride; c++) {
      let acc = HALF;
      for (let y = 0; y < ymax; y++) acc += src[(y + ymin) * stride + c]! * weights[k + y]!;
      out[yy * stride + c] = clip8(acc);
    }
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
