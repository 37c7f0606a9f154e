/**
 * Run by webgpu.test.ts in a child process whose environment holds the software Vulkan driver
 * (the loader and driver are found through LD_LIBRARY_PATH, read only at process start).
 *   tsx webgpuChild.ts PROJECT_DIR APP_HOME DATASET_ID MODEL_ID... (the models already imported)
 * Runs the models on the dataset with WebGPU pinned, then opens each segmentation model's graph
 * once more, for WebGPU and as the CPU gets it, saving what ORT made of it: the copies between
 * devices it had to insert are nodes there (MemcpyToHost, MemcpyFromHost). Its verbose log says
 * the same, but is buffered and out of order with anything else on stderr. Last, each model (and
 * the shipped adapted one) in float16 on WebGPU against float32 on the CPU, on a real frame.
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import { defaultOpset } from '../../../main/inference/onnxProto';
import { appendPostProcessing, mapStride } from '../../../main/inference/postGraph';
import { toHalfPrecision } from '../../../main/inference/halfPrecision';
import { ProviderProbe } from '../../../main/inference/providerProbe';
import { ProviderService, sessionOptions } from '../../../main/inference/providerService';
import { labelsAt, SegmentationSession } from '../../../main/inference/sessions';
import { SettingsStore } from '../../../main/services/settingsStore';
import { resolveCard } from '../../../main/inference/modelCard';
import { makeServices, openTestProject, scaledConv } from './helpers';
import { referenceInput } from './reference';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

const [dir, home, dataset, ...modelIds] = process.argv.slice(2);
const p = openTestProject(dir!);
const svc = makeServices(p, home!, { pin: 'webgpu' });
const runId = svc.inference.createRun(Number(dataset), modelIds.map(Number));
const outcome = await svc.inference.execute(runId, detachedJobContext());
const report = await svc.providers.report();
await svc.models.dispose();

const graphs: Record<string, { toHost: number; fromHost: number }> = {};
const disc = svc.models.list().find((x) => x.role === 'discriminator');
for (const m of svc.models.list().filter((x) => x.role !== 'discriminator')) {
  const bytes = readFileSync(m.path);
  const { height, width } = m.card.inputSize;
  for (const where of [labelsAt('webgpu'), 'model', 'frame+disc', 'fp16+disc'] as const) {
    const withDisc = where.endsWith('+disc') && disc;
    // fp16+disc: the feeder in float16, as the GPU precision setting makes it, the discriminator in float32.
    const graph = appendPostProcessing(where === 'fp16+disc' ? toHalfPrecision(bytes) : bytes, {
      logits: m.card.outputName!,
      classes: m.card.classNames.length,
      stride: withDisc ? 1 : mapStride(height, width),
      labelsAt: where === 'model' ? 'model' : 'frame',
      opset: defaultOpset(bytes) ?? 13,
      ...(withDisc ? { discriminatorInput: disc.card.discriminatorInput, discriminator: { model: readFileSync(disc.path), input: disc.card.inputName!, output: disc.card.outputName! } } : {}),
    });
    const saved = join(home!, `optimized-${m.id}-${where}.onnx`);
    const s = await ort.InferenceSession.create(graph, { ...sessionOptions('webgpu', 1), optimizedModelFilePath: saved });
    await s.release();
    const text = readFileSync(saved).toString('latin1');
    graphs[`${m.id}:${where}`] = { toHost: text.split('MemcpyToHost').length - 1, fromHost: text.split('MemcpyFromHost').length - 1 };
  }
}
// Float16 on the GPU: each segmentation model on a real frame, against float32 on the CPU.
const half = new ProviderService({ settings: new SettingsStore(home!), probe: new ProviderProbe({ cacheDir: home! }), threads: 1, pinOverride: 'webgpu', precisionOverride: 'fp16' });
const full = new ProviderService({ settings: new SettingsStore(home!), probe: new ProviderProbe({ cacheDir: home! }), threads: 1, pinOverride: 'cpu' });
const fp16: Record<string, { provider: string; precision: string; agreement: number; copies: number; finite: boolean; minusInf: number }> = {};
const shipped = join(REPO, 'native-models', 'models', 'adapted.onnx');
const cases = [...svc.models.list().filter((x) => x.role !== 'discriminator').map((m) => ({ key: String(m.id), path: m.path, card: m.card })), { key: 'shipped-adapted', path: shipped, card: (await svc.models.inspect(shipped)).card }];
for (const c of cases) {
  const bytes = readFileSync(c.path);
  const { height, width } = c.card.inputSize;
  const { data } = await referenceInput(join(REPO, 'native-models', 'models', 'reference', 'adapted', 'seq000_frame_000000_input.png'), height, width, c.card.normalization.mean, c.card.normalization.std);
  const frame = { height: 2 * height, width: 2 * width };
  const gpu = await SegmentationSession.open(bytes, c.card, half, 'gpu');
  const ref = await SegmentationSession.open(bytes, c.card, full, 'cpu', { labelsAt: 'frame' });
  const [a, b] = [await gpu.infer(data, frame), await ref.infer(data, frame)];
  const same = a.labels.reduce((n, v, i) => n + (v === b.labels[i] ? 1 : 0), 0);
  // The bare float16 model: its outputs must hold no -inf (toHalfPrecision saturates them).
  const bare = await ort.InferenceSession.create(toHalfPrecision(bytes), sessionOptions('webgpu', 1));
  const z = (await bare.run({ [c.card.inputName!]: new ort.Tensor('float32', data, [1, 3, height, width]) }))[c.card.outputName!]!.data as Float32Array;
  await bare.release();
  const saved = join(home!, `optimized-${c.key}-fp16.onnx`);
  const opt = await ort.InferenceSession.create(appendPostProcessing(toHalfPrecision(bytes), { logits: c.card.outputName!, classes: c.card.classNames.length, labelsAt: 'frame', opset: defaultOpset(bytes) ?? 13 }), { ...sessionOptions('webgpu', 1), optimizedModelFilePath: saved });
  await opt.release();
  const text = readFileSync(saved).toString('latin1');
  const finite = [...a.confidence, ...a.entropy].every(Number.isFinite);
  fp16[c.key] = { provider: gpu.provider, precision: gpu.precision, agreement: same / b.labels.length, copies: text.split('Memcpy').length - 1, finite, minusInf: z.filter((v) => v === -Infinity).length };
  await Promise.all([gpu.dispose(), ref.dispose()]);
}
// Float16 arithmetic for real: logits of (c + 1) * 3000 * (sum of channels) overflow it (65504).
const overflow = scaledConv((c) => (c + 1) * 3000);
const overflowCard = resolveCard({ input_size: { height: 64, width: 128 }, input: { name: 'x' }, output: { name: 'logits' } });
const checked = await SegmentationSession.open(overflow, overflowCard, half, 'overflow');
const opened = checked.precision;
const x = new Float32Array(3 * 64 * 128).map((_, i) => Math.sin(i / 50) * 2);
await checked.infer(x, { height: 64, width: 128 });
const fallback = { opened, after: checked.precision, reason: (await half.report()).attempts[0]!.reason };
await checked.dispose();
p.db.close();
process.stdout.write(`${JSON.stringify({ outcome, report, graphs, fp16, fallback })}\n`);
