/**
 * The graph hands label upsampling only the logits on class boundaries (boundaryLogits in
 * postGraph.ts). Masks from those must equal masks from all the logits, including where a cell
 * is clamped to the image's edge and for outputs one pixel high or wide. The GPU graph, which
 * upsamples in the graph itself (labelsAt 'frame'), must give the same masks too.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, DataType } from '../../../main/inference/onnxProto';
import { appendPostProcessing, POST } from '../../../main/inference/postGraph';
import { statsFromLogits, upsampleLabels } from '../../../main/inference/postprocess';
import { SeededRng } from '../../../common/metrics/rng';

const C = 19;

/** `blobs` classes own round regions, the rest lose everywhere; noise makes ragged boundaries. */
function blobLogits(h: number, w: number, blobs: number, seed: number): Float32Array {
  const rng = new SeededRng(seed);
  const rand = () => rng.next();
  const plane = h * w;
  const z = new Float32Array(C * plane);
  for (let c = 0; c < C; c++) {
    const [cx, cy, r] = [rand() * w, rand() * h, c < blobs ? 1 + (rand() * Math.max(h, w)) / 3 : 0.01];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) z[c * plane + y * w + x] = -Math.hypot(x - cx, y - cy) / r + rand() * 0.3;
  }
  return z;
}

// [model output h, w, frame h, w]
const CASES: [number, number, number, number][] = [
  [1, 7, 3, 20],
  [7, 1, 20, 3],
  [2, 2, 5, 5],
  [3, 17, 10, 40],
  [33, 65, 100, 200],
  [64, 128, 512, 1024],
  [64, 128, 30, 50],
];

/** The "model" passes its input through, so a test chooses the logits. */
function passThrough(opset: number): Uint8Array {
  return buildModel(
    {
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['z'] }],
      inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, C, 'h', 'w'] }],
      outputs: [{ name: 'z', type: DataType.FLOAT, shape: [1, C, 'h', 'w'] }],
    },
    opset,
  );
}

describe('label upsampling from boundary logits', () => {
  it(`gives the masks all the logits give (${CASES.length} size pairs, sparse to dense boundaries)`, async () => {
    const model = passThrough(17);
    const session = await ort.InferenceSession.create(appendPostProcessing(model, { logits: 'z', classes: C }));
    try {
      for (const [k, [h, w, outH, outW]] of CASES.entries()) {
        for (const blobs of [2, 6, 19]) {
          const z = blobLogits(h, w, blobs, 100 * k + blobs);
          const r = await session.run({ x: new ort.Tensor('float32', z, [1, C, h, w]) }, [POST.labels, POST.edgePixels, POST.edgeLogits]);
          const labels = r[POST.labels]!.data as Uint8Array;
          const pixels = r[POST.edgePixels]!.data as Int32Array;
          // The point of it: with few classes in view, a small share of the logits leaves ORT.
          if (blobs === 2 && h * w >= 8192) expect(pixels.length / (h * w)).toBeLessThan(0.1);
          const all = upsampleLabels(labels, { data: z, pixels: null }, C, h, w, outH, outW);
          const edges = upsampleLabels(labels, { data: r[POST.edgeLogits]!.data as Float32Array, pixels }, C, h, w, outH, outW);
          expect(Buffer.from(edges).equals(Buffer.from(all)), `${h}x${w} -> ${outH}x${outW}, ${blobs} blobs`).toBe(true);
        }
      }
    } finally {
      await session.release();
    }
  });
});

describe('labels upsampled in the graph (the GPU providers\' graph)', () => {
  // Opset 18 moved ReduceMax's axes to an input: both forms are built.
  it.each([17, 18])(`give the masks upsampleLabels gives (opset %i, ${CASES.length} size pairs)`, async (opset) => {
    const model = passThrough(opset);
    const session = await ort.InferenceSession.create(appendPostProcessing(model, { logits: 'z', classes: C, labelsAt: 'frame', opset }));
    try {
      let pixels = 0;
      let differ = 0;
      for (const [k, [h, w, outH, outW]] of CASES.entries()) {
        for (const blobs of [2, 6, 19]) {
          const z = blobLogits(h, w, blobs, 100 * k + blobs);
          const size = new ort.Tensor('int64', BigInt64Array.from([BigInt(outH), BigInt(outW)]), [2]);
          const r = await session.run({ x: new ort.Tensor('float32', z, [1, C, h, w]), [POST.frameSize]: size }, [POST.labels, POST.logitDims]);
          expect(r[POST.labels]!.dims).toEqual([1, 1, outH, outW]);
          expect(Array.from(r[POST.logitDims]!.data as BigInt64Array, Number)).toEqual([1, C, h, w]);
          const labels = new Uint8Array(h * w);
          for (let p = 0; p < h * w; p++) {
            let best = 0;
            for (let c = 1; c < C; c++) if (z[c * h * w + p]! > z[best * h * w + p]!) best = c;
            labels[p] = best;
          }
          const expected = upsampleLabels(labels, { data: z, pixels: null }, C, h, w, outH, outW);
          const got = r[POST.labels]!.data as Uint8Array;
          for (let i = 0; i < expected.length; i++) if (got[i] !== expected[i]) differ++;
          pixels += expected.length;
        }
      }
      // ORT interpolates in float32, upsampleLabels in float64, yet on these 1.6M pixels not one
      // near-tie went the other way (measured); a GPU's rounding may differ (see webgpu.test.ts).
      expect(pixels).toBeGreaterThan(1e6);
      expect(differ).toBe(0);
    } finally {
      await session.release();
    }
  });
});

describe('softmax statistics of log-probabilities with -inf in them', () => {
  it('treat a -inf logit as probability 0, in the graph and in typed arrays (not 0 * -inf = NaN)', async () => {
    // A log-probability output (like our adapted model's) where one class's probability rounded to 0.
    const [h, w] = [4, 6];
    const z = new Float32Array(C * h * w).map((_, i) => Math.sin(i) * 3);
    for (let p = 0; p < h * w; p += 2) z[5 * h * w + p] = -Infinity;
    // The same statistics with class 5 left out where it is -inf: p log p -> 0 as p -> 0.
    const expected = (p: number) => {
      const zs = Array.from({ length: C }, (_, c) => z[c * h * w + p]!).filter((v) => v !== -Infinity);
      const m = Math.max(...zs);
      const s = zs.reduce((a, v) => a + Math.exp(v - m), 0);
      return { confidence: 1 / s, entropy: Math.log(s) - zs.reduce((a, v) => a + Math.exp(v - m) * (v - m), 0) / s };
    };
    const session = await ort.InferenceSession.create(appendPostProcessing(passThrough(17), { logits: 'z', classes: C }));
    const r = await session.run({ x: new ort.Tensor('float32', z, [1, C, h, w]) }, [POST.confidence, POST.entropy]);
    await session.release();
    const js = statsFromLogits(z, C, h, w);
    for (let p = 0; p < h * w; p++) {
      const e = expected(p);
      for (const [name, got] of [
        ['graph', { confidence: (r[POST.confidence]!.data as Float32Array)[p]!, entropy: (r[POST.entropy]!.data as Float32Array)[p]! }],
        ['js', { confidence: js.confidence[p]!, entropy: js.entropy[p]! }],
      ] as const) {
        expect(got.confidence, `${name} confidence at ${p}`).toBeCloseTo(e.confidence, 5);
        expect(got.entropy, `${name} entropy at ${p}`).toBeCloseTo(e.entropy, 5);
      }
    }
  });
});
