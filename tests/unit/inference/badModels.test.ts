import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../common/errors';
import { makeTempDir } from '../../helpers/tempDir';
import { makeServices, model, openTestProject, type TestProject } from './helpers';

describe('importing a bad model file fails with a clear error naming the file', () => {
  const tmp = makeTempDir('s2r-badmodels-');
  let p: TestProject;
  let svc: ReturnType<typeof makeServices>;
  beforeAll(() => {
    p = openTestProject(join(tmp.path, 'project'));
    svc = makeServices(p, join(tmp.path, 'home'));
  });
  afterAll(async () => {
    await svc.models.dispose();
    p.db.close();
    tmp.cleanup();
  });

  async function importError(path: string, extra: object = {}): Promise<AppError> {
    const err = await svc.models.import({ path, ...extra }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }

  it('refuses a file that is not ONNX', async () => {
    const err = await importError(model('not_onnx.onnx'));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toMatch(/^not_onnx\.onnx: not an ONNX model onnxruntime can load/);
  });

  it('refuses an output of the wrong rank (labels instead of class scores)', async () => {
    const err = await importError(model('bad_rank.onnx'));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toBe('bad_rank.onnx: output "logits" has rank 3 (shape [1, 64, 128]); expected N x C x H x W class scores (not labels)');
  });

  it('refuses an input with the wrong channel count', async () => {
    const err = await importError(model('bad_channels.onnx'));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toBe('bad_channels.onnx: input "input" has 1 channel; a segmentation model must take 3 (RGB)');
  });

  it('refuses a class count that does not match, and accepts it with its own class list', async () => {
    const err = await importError(model('bad_classes.onnx'));
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toMatch(/^bad_classes\.onnx: output "logits" has 7 channels but 19 classes are expected \(the 19 Cityscapes classes by default\)/);
    const ok = await svc.models.import({ path: model('bad_classes.onnx'), classes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] });
    expect(ok.card.classNames).toHaveLength(7);
  });

  it('checks a card beside the file against the model', async () => {
    const path = join(tmp.path, 'sevenclass.onnx');
    copyFileSync(model('bad_classes.onnx'), path);
    writeFileSync(join(tmp.path, 'sevenclass.card.json'), JSON.stringify({ num_classes: 19, input_size: { height: 64, width: 128 } }));
    const err = await importError(path);
    expect(err.message).toMatch(/^sevenclass\.onnx: output "logits" has 7 channels but 19 classes are expected \(from sevenclass\.card\.json\)/);
    writeFileSync(join(tmp.path, 'sevenclass.card.json'), '{ not json');
    expect((await importError(path)).message).toMatch(/sevenclass\.card\.json: model card is not valid JSON/);
  });

  it('refuses a discriminator whose input does not take the class maps', async () => {
    const err = await importError(model('tiny_seg.onnx'), { role: 'discriminator', name: 'fake_disc' });
    expect(err.code).toBe('BAD_MODEL');
    expect(err.message).toBe('tiny_seg.onnx: input "input" has 3 channels; a discriminator reads the 19 class maps');
    // Its card says discriminator, so no role is needed to import it as one.
    expect((await svc.models.import({ path: model('tiny_disc.onnx') })).role).toBe('discriminator');
  });

  it('says when the file is missing, and when a name is taken', async () => {
    expect((await importError(join(tmp.path, 'nope.onnx'))).code).toBe('NOT_FOUND');
    await svc.models.import({ path: model('custom_out.onnx') });
    const dup = await importError(model('custom_out.onnx'));
    expect(dup.code).toBe('BAD_REQUEST');
    expect(dup.message).toMatch(/"custom_out" already exists/);
  });

  it('reads a user export with other names and asks only for what it cannot infer', async () => {
    const inspection = await svc.models.inspect(model('custom_out.onnx'));
    expect(inspection).toMatchObject({ inputName: 'x', outputName: 'out', outputShape: [1, 19, 64, 128], cardPath: null });
    expect(inspection.needs).toEqual(['classes', 'normalization', 'inputSize']);
  });

  it('refuses a model whose file changed after it was registered', async () => {
    const path = join(tmp.path, 'changing.onnx');
    copyFileSync(model('tiny_seg.onnx'), path);
    const m = await svc.models.import({ path, name: 'changing' });
    copyFileSync(model('tiny_seg_b.onnx'), path);
    await expect(svc.models.segmentation(m.id)).rejects.toThrow(/changing\.onnx: changed since "changing" was registered/);
  });
});
