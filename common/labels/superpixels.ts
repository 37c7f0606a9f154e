/**
 * SLIC superpixels (Achanta et al. 2012), simplified: RGB instead of CIELAB and a fixed
 * number of iterations. Good enough to make "fill this region" snap to object boundaries
 * in the frame painter; it runs once per frame, lazily, when the tool is first used.
 */

export interface SuperpixelOptions {
  /** Grid spacing of the initial centres, in pixels. */
  readonly step?: number;
  /** Colour versus distance trade-off; larger gives more compact, less edge-hugging regions. */
  readonly compactness?: number;
  readonly iterations?: number;
}

export function slic(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number, options: SuperpixelOptions = {}): Int32Array {
  const step = Math.max(4, Math.round(options.step ?? 24));
  const m = options.compactness ?? 20;
  const iterations = options.iterations ?? 5;
  const spatial = (m / step) ** 2;
  const cols = Math.max(1, Math.round(width / step));
  const rows = Math.max(1, Math.round(height / step));
  const k = cols * rows;
  // Centre features: r, g, b, x, y.
  const centres = new Float64Array(k * 5);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const x = Math.min(width - 1, Math.floor(((i + 0.5) * width) / cols));
      const y = Math.min(height - 1, Math.floor(((j + 0.5) * height) / rows));
      const c = (j * cols + i) * 5;
      const p = (y * width + x) * 4;
      centres.set([rgba[p]!, rgba[p + 1]!, rgba[p + 2]!, x, y], c);
    }
  }
  const labels = new Int32Array(width * height).fill(-1);
  const best = new Float64Array(width * height);
  const sums = new Float64Array(k * 6);
  for (let it = 0; it < iterations; it++) {
    best.fill(Infinity);
    for (let c = 0; c < k; c++) {
      const [cr, cg, cb, cx, cy] = centres.subarray(c * 5, c * 5 + 5) as unknown as number[];
      const x0 = Math.max(0, Math.floor(cx! - step));
      const x1 = Math.min(width - 1, Math.ceil(cx! + step));
      const y0 = Math.max(0, Math.floor(cy! - step));
      const y1 = Math.min(height - 1, Math.ceil(cy! + step));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const i = y * width + x;
          const p = i * 4;
          const dr = rgba[p]! - cr!;
          const dg = rgba[p + 1]! - cg!;
          const db = rgba[p + 2]! - cb!;
          const dx = x - cx!;
          const dy = y - cy!;
          const d = dr * dr + dg * dg + db * db + (dx * dx + dy * dy) * spatial;
          if (d < best[i]!) {
            best[i] = d;
            labels[i] = c;
          }
        }
      }
    }
    sums.fill(0);
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (c < 0) continue;
      const p = i * 4;
      const s = c * 6;
      sums[s]! += rgba[p]!;
      sums[s + 1]! += rgba[p + 1]!;
      sums[s + 2]! += rgba[p + 2]!;
      sums[s + 3]! += i % width;
      sums[s + 4]! += Math.floor(i / width);
      sums[s + 5]! += 1;
    }
    for (let c = 0; c < k; c++) {
      const n = sums[c * 6 + 5]!;
      if (n > 0) for (let f = 0; f < 5; f++) centres[c * 5 + f] = sums[c * 6 + f]! / n;
    }
  }
  return enforceConnectivity(labels, width, Math.max(1, (step * step) >> 2));
}

/** Gives every connected piece its own id and merges pieces smaller than `minSize` into a neighbour. */
function enforceConnectivity(labels: Int32Array, width: number, minSize: number): Int32Array {
  const out = new Int32Array(labels.length).fill(-1);
  let next = 0;
  const queue: number[] = [];
  for (let start = 0; start < labels.length; start++) {
    if (out[start] !== -1) continue;
    queue.length = 0;
    queue.push(start);
    out[start] = next;
    let adjacent = -1;
    for (let q = 0; q < queue.length; q++) {
      const i = queue[q]!;
      const x = i % width;
      const neighbours = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width];
      for (const j of neighbours) {
        if (j < 0 || j >= labels.length) continue;
        if (out[j] === -1 && labels[j] === labels[start]) {
          out[j] = next;
          queue.push(j);
        } else if (out[j] !== -1 && out[j] !== next) {
          adjacent = out[j]!;
        }
      }
    }
    if (queue.length < minSize && adjacent >= 0) {
      for (const i of queue) out[i] = adjacent;
    } else {
      next++;
    }
  }
  return out;
}
