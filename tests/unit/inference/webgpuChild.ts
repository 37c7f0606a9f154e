/**
 * Run by webgpu.test.ts in a child process whose environment holds the software Vulkan driver
 * (the loader and driver are found through LD_LIBRARY_PATH, read only at process start).
 *   tsx webgpuChild.ts PROJECT_DIR APP_HOME DATASET_ID MODEL_ID... (the models already imported)
 * Runs the models on the dataset with WebGPU pinned, then opens each segmentation model's graph
 * once more, for WebGPU and as the CPU gets it, saving what ORT made of it: the copies between
 * devices it had to insert are nodes there (MemcpyToHost, MemcpyFromHost). Its verbose log says
 * the same, but is buffered and out of order with anything else on stderr. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import { defaultOpset } from '../../../main/inference/onnxProto';
import { appendPostProcessing, mapStride } from '../../../main/inference/postGraph';
import { sessionOptions } from '../../../main/inference/providerService';
import { labelsAt } from '../../../main/inference/sessions';
import { makeServices, openTestProject } from './helpers';

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
  for (const where of [labelsAt('webgpu'), 'model', 'frame+disc'] as const) {
    const withDisc = where === 'frame+disc' && disc;
    const graph = appendPostProcessing(bytes, {
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
p.db.close();
process.stdout.write(`${JSON.stringify({ outcome, report, graphs })}\n`);
