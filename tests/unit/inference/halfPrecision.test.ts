/**
 * The float16 rewrite GPU sessions may run (toHalfPrecision), checked on ORT's CPU provider,
 * which loads float16 graphs and computes their Convs in float32 (so the weights' rounding shows
 * here; float16 arithmetic is checked on WebGPU in webgpu.test.ts): our shipped adapted model
 * with the GPU's post-processing graph on its real reference frames, a graph with the shape
 * arithmetic exporters emit, what it refuses, how a session falls back to float32 when ORT cannot
 * load the rewrite, and the first-frame check against float32.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { float16Bits, toHalfPrecision } from '../../../main/inference/halfPrecision';
import { ModelService } from '../../../main/inference/modelService';
import { buildModel, DataType } from '../../../main/inference/onnxProto';
import { appendPostProcessing, POST } from '../../../main/inference/postGraph';
import { ProviderProbe } from '../../../main/inference/providerProbe';
import { resolveCard, type CardFile } from '../../../main/inference/modelCard';
import { ProviderService, type GpuPrecision } from '../../../main/inference/providerService';
import { SegmentationSession } from '../../../main/inference/sessions';
import { SettingsStore } from '../../../main/services/settingsStore';
import { makeTempDir } from '../../helpers/tempDir';
import { model, openTestProject, scaledConv } from './helpers';
import { referenceInput } from './reference';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SHIPPED = join(REPO, 'native-models', 'models');

const cpu = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });

describe('float16Bits', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [1e6, 0x7bff], // beyond the largest finite half: clamped, not infinity
    [Infinity, 0x7c00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000],
    [1 + 2 ** -11, 0x3c00], // halfway: to even
    [1 + 3 * 2 ** -11, 0x3c02], // halfway: to even, upwards
  ])('%d is 0x%s', (v, bits) => {
    expect(float16Bits(v)).toBe(bits);
  });
});

describe('toHalfPrecision', () => {
  it('halves the shipped adapted model: same masks at 99.5% of pixels or more on its reference frames, float32 in and out', async () => {
    const bytes = readFileSync(join(SHIPPED, 'adapted.onnx'));
    const card = JSON.parse(readFileSync(join(SHIPPED, 'adapted.card.json'), 'utf8')) as { preprocessing: { normalize: { mean: number[]; std: number[] } } };
    const half = toHalfPrecision(bytes);
    expect(half.length).toBeLessThan(bytes.length * 0.6); // the weights are float16 now
    // As a GPU session runs it: the post-processing graph after the float32 Cast, labels at the frame.
    const post = (m: Uint8Array) => appendPostProcessing(m, { logits: 'logits', classes: 19, labelsAt: 'frame', stride: 1, opset: 17 });
    const [s32, s16] = await Promise.all([cpu(post(bytes)), cpu(post(half))]);
    expect(s16.inputMetadata[0]).toMatchObject({ name: 'input', type: 'float32' });
    const dir = join(SHIPPED, 'reference', 'adapted');
    const inputs = readdirSync(dir).filter((f) => f.endsWith('_input.png'));
    expect(inputs.length).toBeGreaterThanOrEqual(3);
    let same = 0;
    let pixels = 0;
    let confidenceDiff = 0;
    for (const f of inputs) {
      const { data } = await referenceInput(join(dir, f), 128, 256, card.preprocessing.normalize.mean, card.preprocessing.normalize.std);
      const feeds = { input: new ort.Tensor('float32', data, [1, 3, 128, 256]), [POST.frameSize]: new ort.Tensor('int64', BigInt64Array.from([512n, 1024n]), [2]) };
      const [a, b] = await Promise.all([s32.run(feeds), s16.run(feeds)]);
      const la = a[POST.labels]!.data as Uint8Array;
      const lb = b[POST.labels]!.data as Uint8Array;
      expect(b[POST.labels]!.dims).toEqual([1, 1, 512, 1024]);
      for (let i = 0; i < la.length; i++) same += la[i] === lb[i] ? 1 : 0;
      pixels += la.length;
      const ca = a[POST.confidence]!.data as Float32Array;
      const cb = b[POST.confidence]!.data as Float32Array;
      for (let i = 0; i < ca.length; i++) confidenceDiff = Math.max(confidenceDiff, Math.abs(ca[i]! - cb[i]!));
    }
    expect(same / pixels).toBeGreaterThanOrEqual(0.995);
    expect(same).toBeLessThanOrEqual(pixels);
    expect(confidenceDiff).toBeLessThan(0.05);
    await Promise.all([s32.release(), s16.release()]);
  });

  it('keeps shape arithmetic and Resize scales in float32, as exporters write them', async () => {
    // y = conv(x), resized to half the input's size (Shape -> Cast to float -> Mul 0.5 -> Cast int64)
    // and, a second way, by constant scales. Computed in float16 the Mul would not type-check.
    const w = Array.from({ length: 4 * 3 }, (_, i) => Math.sin(i + 1));
    const graph = buildModel({
      inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 3, 'h', 'w'] }],
      outputs: [
        { name: 'half_size', type: DataType.FLOAT, shape: [1, 4, 'h2', 'w2'] },
        { name: 'doubled', type: DataType.FLOAT, shape: [1, 4, 'h3', 'w3'] },
        { name: 'size_f', type: DataType.FLOAT, shape: [2] },
      ],
      initializers: [
        { name: 'w', type: DataType.FLOAT, dims: [4, 3, 1, 1], values: w },
        { name: 'half', type: DataType.FLOAT, dims: [1], values: [0.5] },
        { name: 'scales', type: DataType.FLOAT, dims: [4], values: [1, 1, 2, 2] },
        { name: 'nc', type: DataType.INT64, dims: [2], values: [1, 4] },
        { name: 'starts', type: DataType.INT64, dims: [1], values: [2] },
        { name: 'ends', type: DataType.INT64, dims: [1], values: [4] },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] },
        { op: 'Shape', inputs: ['x'], outputs: ['shape'] },
        { op: 'Slice', inputs: ['shape', 'starts', 'ends'], outputs: ['hw'] },
        { op: 'Cast', inputs: ['hw'], outputs: ['hw_f'], attrs: { to: DataType.FLOAT } },
        { op: 'Mul', inputs: ['hw_f', 'half'], outputs: ['size_f'] },
        { op: 'Cast', inputs: ['size_f'], outputs: ['size_i'], attrs: { to: DataType.INT64 } },
        { op: 'Concat', inputs: ['nc', 'size_i'], outputs: ['sizes'], attrs: { axis: 0 } },
        { op: 'Resize', inputs: ['y', '', '', 'sizes'], outputs: ['half_size'], attrs: { mode: 'linear' } },
        { op: 'Resize', inputs: ['y', '', 'scales'], outputs: ['doubled'], attrs: { mode: 'nearest' } },
      ],
    });
    const [s32, s16] = await Promise.all([cpu(graph), cpu(toHalfPrecision(graph))]);
    const x = Float32Array.from({ length: 3 * 6 * 10 }, (_, i) => Math.cos(i / 7));
    const feeds = { x: new ort.Tensor('float32', x, [1, 3, 6, 10]) };
    const [a, b] = await Promise.all([s32.run(feeds), s16.run(feeds)]);
    for (const name of ['half_size', 'doubled', 'size_f']) {
      expect(b[name]!.type, name).toBe('float32');
      expect(b[name]!.dims, name).toEqual(a[name]!.dims);
      const [da, db] = [a[name]!.data as Float32Array, b[name]!.data as Float32Array];
      for (let i = 0; i < da.length; i++) expect(Math.abs(da[i]! - db[i]!), `${name}[${i}]`).toBeLessThan(5e-3);
    }
    expect(b.half_size!.dims).toEqual([1, 4, 3, 5]);
    expect([...(b.size_f!.data as Float32Array)]).toEqual([3, 5]); // float32 all the way: exact
  });

  it('reads a model whose graph comes in parts (extendModel appends them) as one graph', async () => {
    const extended = appendPostProcessing(readFileSync(model('tiny_seg.onnx')), { logits: 'logits', classes: 19, opset: 17 });
    const s = await cpu(toHalfPrecision(extended));
    expect(s.outputNames).toEqual(expect.arrayContaining([POST.labels, POST.confidence, POST.entropy]));
    const r = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 128 * 256).fill(0.5), [1, 3, 128, 256]) }, [POST.labels, POST.confidence]);
    expect(r[POST.confidence]!.type).toBe('float32');
    expect((r[POST.confidence]!.data as Float32Array).every(Number.isFinite)).toBe(true);
    await s.release();
  });

  it('refuses what it cannot convert safely, naming it', () => {
    const x = { name: 'x', type: DataType.FLOAT, shape: [1] } as const;
    const withNode = (node: Parameters<typeof buildModel>[0]['nodes'][number]) => buildModel({ inputs: [x], outputs: [{ ...x, name: 'y' }], nodes: [node] });
    expect(() => toHalfPrecision(withNode({ op: 'Constant', inputs: [], outputs: ['y'], attrs: { value_float: { float: 1 } } }))).toThrow(/value_float/);
    expect(() => toHalfPrecision(withNode({ op: 'RandomNormalLike', inputs: ['x'], outputs: ['y'], attrs: { dtype: DataType.FLOAT } }))).toThrow(/dtype/);
    expect(() => toHalfPrecision(new Uint8Array([1, 2, 3]))).toThrow();
  });
});

describe('the first frame in float16, checked against float32', () => {
  const providers = () => new ProviderService({ settings: new SettingsStore(makeTempDir('s2r-half-').path), probe: new ProviderProbe({ cacheDir: null }), threads: 1, pinOverride: 'cpu' });
  const frameInput = async (h: number, w: number) =>
    (await referenceInput(join(SHIPPED, 'reference', 'adapted', 'seq000_frame_000000_input.png'), h, w, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])).data;

  it('keeps float16 where it gives float32 labels (the shipped adapted model)', async () => {
    const card = resolveCard(JSON.parse(readFileSync(join(SHIPPED, 'adapted.card.json'), 'utf8')) as CardFile);
    const session = await SegmentationSession.open(readFileSync(join(SHIPPED, 'adapted.onnx')), card, providers(), 'adapted.onnx', { precision: 'fp16' });
    expect(session.precision).toBe('fp16');
    const input = await frameInput(128, 256);
    await session.infer(input, { height: 256, width: 512 });
    expect(session.precision).toBe('fp16');
    const out = await session.infer(input, { height: 256, width: 512 });
    expect(out.labels.length).toBe(out.labelHeight * out.labelWidth);
    await session.dispose();
  });

  it('runs float32 from the first frame on where float16 changes the labels, and the report says why', async () => {
    // Class c's weights are 1 + c / 10^4: float32 tells them apart, float16 (steps of 1/1024 near 1)
    // rounds classes 15-18 to one value, so the argmax goes to 15 where float32 says 18. (ORT's CPU
    // provider computes this Conv in float32 after the rewrite, so only the weights' rounding
    // shows here; overflow, which needs float16 arithmetic, is checked on WebGPU in webgpu.test.ts.)
    const model = scaledConv((c) => 1 + c / 1e4);
    const card = resolveCard({ input_size: { height: 64, width: 128 }, input: { name: 'x' }, output: { name: 'logits' } });
    const chain = providers();
    const session = await SegmentationSession.open(model, card, chain, 'rounding.onnx', { precision: 'fp16' });
    const full = await SegmentationSession.open(model, card, chain, 'rounding.onnx', { precision: 'fp32' });
    expect(session.precision).toBe('fp16');
    const input = await frameInput(64, 128);
    const frame = { height: 64, width: 128 };
    const first = await session.infer(input, frame);
    expect(session.precision).toBe('fp32');
    expect(first.labels).toEqual((await full.infer(input, frame)).labels);
    expect((await session.infer(input, frame)).labels).toEqual(first.labels);
    const report = await chain.report();
    expect(report.activePrecision).toBe('fp32');
    expect(report.attempts[0]!.reason).toMatch(/^runs fp32: float16 gave float32's labels at [\d.]+% of the first frame's labels \(the floor is 99%\)$/);
    await Promise.all([session.dispose(), full.dispose()]);
  });
});


describe('GPU precision setting', () => {
  const providersIn = (home: string, precisionOverride?: GpuPrecision) =>
    new ProviderService({ settings: new SettingsStore(home), probe: new ProviderProbe({ cacheDir: null }), threads: 1, pinOverride: 'cpu', precisionOverride });

  it('opens the next graph on the same provider when ORT refuses the first, and says so', async () => {
    const tmp = makeTempDir('s2r-half-');
    try {
      const providers = providersIn(tmp.path);
      const good = readFileSync(model('tiny_seg.onnx'));
      const opened = await providers.createSession(
        () => [
          { bytes: new Uint8Array([8, 1, 0xff]), precision: 'fp16' },
          { bytes: good, precision: 'fp32' },
        ],
        'tiny_seg.onnx',
      );
      expect(opened).toMatchObject({ provider: 'cpu', precision: 'fp32' });
      expect(opened.attempts).toEqual([{ provider: 'cpu', ok: true, reason: expect.stringMatching(/^runs fp32: fp16 failed \(Failed to load model/) as string }]);
      expect((await providers.report()).activePrecision).toBe('fp32');
      await opened.session.release();
      // A graph chosen for a reason (the rewrite refused the model) carries it into the report.
      const noted = await providers.createSession(() => [{ bytes: good, precision: 'fp32', note: 'runs fp32: no float16 rewrite (op domain com.microsoft)' }], 'tiny_seg.onnx');
      expect(noted.attempts[0]!.reason).toBe('runs fp32: no float16 rewrite (op domain com.microsoft)');
      await noted.session.release();
    } finally {
      tmp.cleanup();
    }
  });

  it('is saved, overridden per process, and gives runs started after it sessions of their own', async () => {
    const tmp = makeTempDir('s2r-half-');
    try {
      const providers = providersIn(tmp.path);
      expect(providers.gpuPrecision()).toBe('fp32');
      expect((await providers.setGpuPrecision('fp16')).gpuPrecision).toBe('fp16');
      expect(providersIn(tmp.path).gpuPrecision()).toBe('fp16'); // a new process reads it back
      expect(providersIn(tmp.path, 'fp32').gpuPrecision()).toBe('fp32');
      await providers.setGpuPrecision('fp32');

      const p = openTestProject(join(tmp.path, 'project'));
      const models = new ModelService(p.db, providers);
      const m = await models.import({ path: model('tiny_seg.onnx'), role: 'source_only' });
      const before = await models.segmentation(m.id);
      expect(await models.segmentation(m.id)).toBe(before);
      await providers.setGpuPrecision('fp16');
      const after = await models.segmentation(m.id);
      expect(after).not.toBe(before);
      expect(await models.segmentation(m.id)).toBe(after);
      // The CPU runs float32 whatever the setting.
      expect(after.precision).toBe('fp32');
      const { height, width } = m.card.inputSize;
      const out = await after.infer(new Float32Array(3 * height * width), { height, width });
      expect(out.labels.length).toBe(height * width);
      // The previous scope's session was closed: its GPU memory is not held for the project's life.
      await new Promise((r) => setImmediate(r));
      await expect(before.infer(new Float32Array(3 * height * width), { height, width })).rejects.toThrow();
      await models.dispose();
      p.db.close();
    } finally {
      tmp.cleanup();
    }
  });
});
