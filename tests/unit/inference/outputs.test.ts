import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import type { ModelRecord } from '../../../main/inference/modelService';
import type { PostMode } from '../../../main/inference/sessions';
import { MediaService } from '../../../main/services/mediaService';
import { makeTempDir } from '../../helpers/tempDir';
import { addDataset, makeServices, model, openTestProject, torchvisionModel, type TestProject } from './helpers';
import { expectMatchesDirect, expectSyntheticMatchesDirect, readPng, sameFraction } from './reference';

describe.each<PostMode>(['graph', 'js'])('inference outputs (%s post-processing) equal a direct ORT call', (post) => {
  const tmp = makeTempDir('s2r-outputs-');
  let p: TestProject;
  let svc: ReturnType<typeof makeServices>;
  let frameIds: number[];
  let seg: ModelRecord;
  let adapted: ModelRecord;
  let disc: ModelRecord;

  beforeAll(async () => {
    p = openTestProject(join(tmp.path, 'project'));
    // A frame that needs resizing both ways, and one already at the model's input size.
    ({ frameIds } = await addDataset(p.db, join(tmp.path, 'frames'), 3, [
      { width: 300, height: 150 },
      { width: 128, height: 64 },
      { width: 97, height: 203 },
    ]));
    svc = makeServices(p, join(tmp.path, 'home'), { post });
    seg = await svc.models.import({ path: model('tiny_seg.onnx'), role: 'source_only' });
    adapted = await svc.models.import({ path: model('tiny_seg_b.onnx'), role: 'adapted' });
    disc = await svc.models.import({ path: model('tiny_disc.onnx'), role: 'discriminator' });
    const runId = svc.inference.createRun(1, [seg.id, adapted.id, disc.id]);
    const outcome = await svc.inference.execute(runId, detachedJobContext());
    expect(outcome).toMatchObject({ processed: 3, skipped: 0, failed: 0, providers: ['cpu'] });
  });
  afterAll(async () => {
    await svc.models.dispose();
    p.db.close();
    tmp.cleanup();
  });

  it('writes masks at frame resolution and confidence and entropy maps that match', async () => {
    for (const id of frameIds) {
      await expectMatchesDirect(p, id, seg, model('tiny_seg.onnx'));
      await expectMatchesDirect(p, id, adapted, model('tiny_seg_b.onnx'));
    }
  });

  it('scores each frame with the discriminator and the source-only vs adapted disagreement', async () => {
    // With the graph's post-processing the discriminator runs inside its feeder's session.
    expect((await svc.models.segmentation(seg.id, 'softmax', disc.id)).mergedDiscriminator).toBe(post === 'graph');
    for (const id of frameIds) {
      const stats = p.db.prepare('SELECT * FROM frame_stats WHERE frame_id = ?').get(id) as { disagreement: number; synthetic_score: number };
      const a = await readPng(svc.inference.predictionFile(id, seg.id, 'mask'));
      const b = await readPng(svc.inference.predictionFile(id, adapted.id, 'mask'));
      expect(stats.disagreement).toBeCloseTo(1 - sameFraction(a.data, b.data), 12);

      // The discriminator reads the softmax of the model its card names (tiny_seg.onnx).
      await expectSyntheticMatchesDirect(p, id, seg, model('tiny_seg.onnx'), model('tiny_disc.onnx'), svc.inference.syntheticFile(id));
    }
  });

  it('samples the confidence and entropy maps of large outputs, keeping masks exact', async () => {
    // A project without a discriminator: a model feeding one keeps full-resolution maps.
    const q = openTestProject(join(tmp.path, 'project-large'));
    const qs = makeServices(q, join(tmp.path, 'home'), { post });
    try {
      const { frameIds: ids } = await addDataset(q.db, join(tmp.path, 'frames-large'), 2, { width: 300, height: 150 });
      const big = await qs.models.import({ path: model('custom_out.onnx'), inputSize: { height: 256, width: 512 } });
      const outcome = await qs.inference.execute(qs.inference.createRun(1, [big.id]), detachedJobContext());
      expect(outcome.processed).toBe(2);
      for (const id of ids) await expectMatchesDirect(q, id, big, model('custom_out.onnx'));
      const conf = await readPng(qs.inference.predictionFile(ids[0]!, big.id, 'confidence'));
      expect([conf.width, conf.height]).toEqual([256, 128]);
    } finally {
      await qs.models.dispose();
      q.db.close();
    }
  });

  it('serves the cached files through the media routes', async () => {
    const media = new MediaService(() => ({
      datasetRoot: () => tmp.path,
      framePath: () => tmp.path,
      labelTrainIds: () => Promise.reject(new Error('unused')),
      cacheDir: () => p.cacheDir,
      predictionFile: (f, m, k) => svc.inference.predictionFile(f, m, k),
      syntheticFile: (f) => svc.inference.syntheticFile(f),
    }));
    const id = frameIds[0]!;
    for (const kind of ['mask', 'confidence', 'entropy'] as const) {
      const res = await media.get(`prediction/${id}/${seg.id}/${kind}`);
      expect(res.contentType).toBe('image/png');
      expect((await readPng(svc.inference.predictionFile(id, seg.id, kind))).data.length).toBeGreaterThan(0);
    }
    expect((await media.get(`frame/${id}/synthetic`)).contentType).toBe('image/png');
    await expect(media.get(`prediction/${id}/999/mask`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(media.get(`prediction/${id}/${seg.id}/logits`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

const lraspp = torchvisionModel('lraspp');
describe.skipIf('skip' in lraspp)(`torchvision LR-ASPP export (output "out") ${'skip' in lraspp ? `skipped: ${lraspp.skip}` : ''}`, () => {
  it('is inspected, imported with the Cityscapes defaults, and run with outputs equal to a direct ORT call', async () => {
    const path = (lraspp as { path: string }).path;
    const tmp = makeTempDir('s2r-lraspp-');
    const p = openTestProject(join(tmp.path, 'project'));
    const svc = makeServices(p, join(tmp.path, 'home'), { threads: 2 });
    try {
      const inspection = await svc.models.inspect(path);
      expect(inspection).toMatchObject({ inputName: 'input', outputName: 'out', outputShape: [1, 19, 64, 128], cardPath: null });
      expect(inspection.needs).toEqual(['classes', 'normalization', 'inputSize']);
      // Only the input size is given; classes and normalisation default to the 19-class Cityscapes card.
      const m = await svc.models.import({ path, inputSize: { height: 128, width: 256 } });
      expect(m.card.classNames).toHaveLength(19);
      expect(m.card.classNames[0]).toBe('road');
      const { frameIds } = await addDataset(p.db, join(tmp.path, 'frames'), 2, { width: 512, height: 256 });
      const outcome = await svc.inference.execute(svc.inference.createRun(1, [m.id]), detachedJobContext());
      expect(outcome.processed).toBe(2);
      for (const id of frameIds) await expectMatchesDirect(p, id, m, path);
    } finally {
      await svc.models.dispose();
      p.db.close();
      tmp.cleanup();
    }
  }, 120_000);
});
