import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, DataType } from '../../../main/inference/onnxProto';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import { makeTempDir } from '../../helpers/tempDir';
import { addDataset, makeServices, model, openTestProject, type TestProject } from './helpers';
import { bilinear, directRun, referenceInput, softmaxStats } from './reference';

/** A native-models/models folder as the training pipeline leaves it, built from the test models. */
function shippedFolder(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ship = (from: string, role: string, cardPatch: object = {}) => {
    copyFileSync(model(`${from}.onnx`), join(dir, `${role}.onnx`));
    const card = JSON.parse(readFileSync(model(`${from}.card.json`), 'utf8')) as object;
    writeFileSync(join(dir, `${role}.card.json`), JSON.stringify({ ...card, name: role, file: `${role}.onnx`, ...cardPatch }));
  };
  ship('tiny_seg', 'source_only');
  ship('tiny_seg_b', 'adapted');
  ship('tiny_disc', 'discriminator', { segmentation_model: 'adapted.onnx' });
}

describe('shipped models from native-models/models', () => {
  const tmp = makeTempDir('s2r-shipped-');
  const dir = join(tmp.path, 'native-models', 'models');
  let p: TestProject;
  let svc: ReturnType<typeof makeServices>;
  beforeAll(async () => {
    shippedFolder(dir);
    p = openTestProject(join(tmp.path, 'project'));
    svc = makeServices(p, join(tmp.path, 'home'));
    await addDataset(p.db, join(tmp.path, 'frames'), 2, { width: 256, height: 128 });
  });
  afterAll(async () => {
    await svc.models.dispose();
    p.db.close();
    tmp.cleanup();
  });

  it('does nothing when the folder or a model is missing', async () => {
    expect(await svc.models.registerShipped(join(tmp.path, 'nowhere'))).toEqual([]);
  });

  it('registers each shipped model under its role, once', async () => {
    const first = await svc.models.registerShipped(dir);
    expect(first.map((m) => [m.name, m.role, m.card.kind])).toEqual([
      ['source_only', 'source_only', 'segmentation'],
      ['adapted', 'adapted', 'segmentation'],
      ['discriminator', 'discriminator', 'discriminator'],
    ]);
    const again = await svc.models.registerShipped(dir);
    expect(again.map((m) => m.id)).toEqual(first.map((m) => m.id));
  });

  it('feeds the discriminator the model its card names, and drops stale outputs when a model is retrained', async () => {
    const ids = svc.models.list().map((m) => m.id);
    const outcome = await svc.inference.execute(svc.inference.createRun(1, ids), detachedJobContext());
    expect(outcome.processed).toBe(2);
    const adapted = svc.models.find('adapted');
    // The synthetic score is the mean of D(softmax(adapted)), not of D(softmax(source_only)).
    const frame = join(tmp.path, 'frames', 'f0000.png');
    const expected = async (from: string) => {
      const input = await referenceInput(frame, 64, 128, adapted.card.normalization.mean, adapted.card.normalization.std);
      const logits = await directRun(model(from), 'input', 'logits', input.data, [1, 3, 64, 128]);
      const patch = await directRun(model('tiny_disc.onnx'), 'input', 'logits', softmaxStats(logits.data, 19, 64 * 128).probs, [1, 19, 64, 128]);
      const [, , ph, pw] = patch.dims as [number, number, number, number];
      const map = bilinear(Float32Array.from(patch.data, (z) => 1 - 1 / (1 + Math.exp(-z))), 1, ph, pw, 64, 128);
      return map.reduce((acc, v) => acc + v, 0) / map.length;
    };
    const score = (p.db.prepare('SELECT synthetic_score FROM frame_stats WHERE frame_id = 1').get() as { synthetic_score: number }).synthetic_score;
    const [fromAdapted, fromSourceOnly] = [await expected('tiny_seg_b.onnx'), await expected('tiny_seg.onnx')];
    expect(Math.abs(score - fromAdapted)).toBeLessThan(1e-6);
    expect(Math.abs(score - fromSourceOnly)).toBeGreaterThan(Math.abs(score - fromAdapted));
    const count = (id: number) => (p.db.prepare('SELECT count(*) AS n FROM predictions WHERE model_id = ?').get(id) as { n: number }).n;
    expect(count(adapted.id)).toBe(2);

    copyFileSync(model('custom_out.onnx'), join(dir, 'adapted.onnx')); // "retrained": new weights, names from the card
    writeFileSync(join(dir, 'adapted.card.json'), JSON.stringify({ name: 'adapted', input: { name: 'x' }, output: { name: 'out' }, input_size: [64, 128] }));
    await svc.models.registerShipped(dir);
    const updated = svc.models.find('adapted');
    expect(updated.id).toBe(adapted.id);
    expect(updated.sha256).not.toBe(adapted.sha256);
    expect(count(adapted.id)).toBe(0);
    expect(count(svc.models.find('source_only').id)).toBe(2);
    // The next run redoes only what was dropped; the project's discriminator joins it unasked.
    const rerunId = svc.inference.createRun(1, [updated.id]);
    expect(svc.inference.run(rerunId).modelIds).toEqual([updated.id, svc.models.find('discriminator').id]);
    const rerun = await svc.inference.execute(rerunId, detachedJobContext());
    expect(rerun).toMatchObject({ processed: 2, skipped: 0 });
  });

  it('closes the feeder session holding a discriminator merged in when the discriminator is retrained', async () => {
    // A different discriminator: a 1x1 convolution of the class maps, stride 2 (opset 17, so it merges).
    const weights = Array.from({ length: 19 }, (_, c) => (c - 9) / 4);
    const retrained = buildModel({
      nodes: [{ op: 'Conv', inputs: ['input', 'w'], outputs: ['logits'], attrs: { strides: [2, 2] } }],
      initializers: [{ name: 'w', type: DataType.FLOAT, dims: [1, 19, 1, 1], values: weights }],
      inputs: [{ name: 'input', type: DataType.FLOAT, shape: ['n', 19, 'h', 'w'] }],
      outputs: [{ name: 'logits', type: DataType.FLOAT, shape: ['n', 1, 'h2', 'w2'] }],
    });
    writeFileSync(join(dir, 'discriminator.onnx'), retrained);
    await svc.models.registerShipped(dir);
    const disc = svc.models.find('discriminator');
    const adapted = svc.models.find('adapted');
    const rerun = await svc.inference.execute(svc.inference.createRun(1, [adapted.id, disc.id]), detachedJobContext());
    expect(rerun).toMatchObject({ processed: 2, failed: 0 });
    const input = await referenceInput(join(tmp.path, 'frames', 'f0000.png'), 64, 128, adapted.card.normalization.mean, adapted.card.normalization.std);
    const logits = await directRun(model('custom_out.onnx'), 'x', 'out', input.data, [1, 3, 64, 128]);
    const patch = await directRun(join(dir, 'discriminator.onnx'), 'input', 'logits', softmaxStats(logits.data, 19, 64 * 128).probs, [1, 19, 64, 128]);
    const [, , ph, pw] = patch.dims as [number, number, number, number];
    const map = bilinear(Float32Array.from(patch.data, (z) => 1 - 1 / (1 + Math.exp(-z))), 1, ph, pw, 64, 128);
    const score = (p.db.prepare('SELECT synthetic_score FROM frame_stats WHERE frame_id = 1').get() as { synthetic_score: number }).synthetic_score;
    expect(score).toBeCloseTo(map.reduce((acc, v) => acc + v, 0) / map.length, 5);
    expect((await svc.models.segmentation(adapted.id, 'softmax', disc.id)).mergedDiscriminator).toBe(true);
  });
});
