import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabelService } from '../../../main/labels/labelService';
import { makeTempDir } from '../../helpers/tempDir';
import { makeProject, type TestFrame, type TestProject } from './project';

let project: TestProject;
let service: LabelService;
let dashcam: number;
let frames: TestFrame[];

beforeEach(() => {
  project = makeProject();
  dashcam = project.addDataset('Dash, cam', 'dashcam');
  frames = [project.addFrame(dashcam, 'seq/a.png', 8, 4), project.addFrame(dashcam, 'seq/b.png', 16, 4)];
  service = new LabelService(project.db, project.cacheDir);
});
afterEach(() => {
  service.dispose();
  project.cleanup();
});

const pack = (data: Uint8Array, width: number, height: number) => ({ width, height, data: deflateSync(data).toString('base64') });

describe('spot sampling', () => {
  it('is seeded: the same seed proposes the same pixels, which are not added twice', async () => {
    const first = await service.sample({ datasetId: dashcam, count: 12, seed: 42, sampler: 'uniform' });
    const spots = service.spots('estimate', dashcam);
    expect(first.proposed).toBe(12);
    expect(spots.length).toBe(first.added);
    for (const s of spots) {
      expect(s.x).toBeLessThan(s.width!);
      expect(s.y).toBeLessThan(s.height!);
      expect(s.weight).toBe(1);
      expect(s.trainId).toBeNull();
    }
    const again = await service.sample({ datasetId: dashcam, count: 12, seed: 42, sampler: 'uniform' });
    expect(again.added).toBe(0);
    const other = await service.sample({ datasetId: dashcam, count: 12, seed: 43, sampler: 'uniform' });
    expect(other.added).toBeGreaterThan(0);
  });

  it('draws uniformly over pixels, so a frame twice as large gets about twice the spots', async () => {
    const big = makeProject();
    try {
      const d = big.addDataset('d', 'dashcam');
      const small = big.addFrame(d, 's.png', 100, 100);
      big.addFrame(d, 'l.png', 200, 100);
      const s = new LabelService(big.db, big.cacheDir);
      await s.sample({ datasetId: d, count: 1500, seed: 1, sampler: 'uniform' });
      const share = s.spots('estimate', d).filter((x) => x.frameId === small.id).length / s.spots('estimate', d).length;
      expect(share).toBeGreaterThan(0.28);
      expect(share).toBeLessThan(0.39);
      s.dispose();
    } finally {
      big.cleanup();
    }
  });

  it('stratifies by predicted class with weights that keep class shares unbiased', async () => {
    const model = project.addModel('src', 'source_only');
    // Frame a: 30 road, 2 person; frame b: 62 road, 2 car → rare classes get a third of the draws each.
    const a = new Uint8Array(32).fill(0);
    a[5] = 11;
    a[6] = 11;
    const b = new Uint8Array(64).fill(0);
    b[10] = 13;
    b[20] = 13;
    await project.addPrediction(frames[0]!.id, model, a, 8, 4);
    await project.addPrediction(frames[1]!.id, model, b, 16, 4, { histogram: [62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0] });
    await service.sample({ datasetId: dashcam, count: 300, seed: 9, sampler: 'stratified', modelId: model });
    const spots = service.spots('estimate', dashcam);
    const predAt = (s: (typeof spots)[number]) => (s.frameId === frames[0]!.id ? a : b)[s.y * s.width! + s.x]!;
    const rare = spots.filter((s) => predAt(s) !== 0).length;
    expect(rare).toBeGreaterThan(3); // only 4 rare pixels exist; a uniform draw of 300 would find ~12 spots on them anyway, but duplicates collapse
    for (const s of spots) {
      const k = predAt(s);
      const n = k === 0 ? 92 : 2;
      expect(s.weight).toBeCloseTo((3 * n) / 96, 12);
      expect(s.sampler).toBe('stratified');
    }
  });

  it('keeps "hardest" spots where the models disagree, out of the estimate queue', async () => {
    const m1 = project.addModel('src', 'source_only');
    const m2 = project.addModel('ada', 'adapted');
    const a = new Uint8Array(32).fill(0);
    const b = a.slice();
    b[3] = 2;
    b[17] = 8;
    await project.addPrediction(frames[0]!.id, m1, a, 8, 4);
    await project.addPrediction(frames[0]!.id, m2, b, 8, 4);
    await service.sample({ datasetId: dashcam, count: 6, seed: 1, sampler: 'hardest', pair: [m1, m2] });
    const hard = service.spots('hardest', dashcam);
    expect(hard.length).toBeGreaterThan(0);
    for (const s of hard) {
      expect([3, 17]).toContain(s.y * 8 + s.x);
      expect(s.weight).toBe(0);
    }
    expect(service.spots('estimate', dashcam)).toEqual([]);
    await expect(service.sample({ datasetId: dashcam, count: 6, seed: 1, sampler: 'hardest', modelId: m1 })).rejects.toThrow(/entropy/);
  });

  it('proposes whole frames without repeating them', () => {
    expect(service.proposeFrames(dashcam, 5, 3).added).toBe(2);
    expect(service.proposeFrames(dashcam, 5, 3).added).toBe(0);
    expect(service.frameQueue(dashcam).map((f) => f.proposed)).toEqual([true, true]);
  });
});

describe('answers and masks are on disk when the call returns', () => {
  it('keeps spot answers across a reopen of the database', async () => {
    await service.sample({ datasetId: dashcam, count: 3, seed: 5, sampler: 'uniform' });
    const [s1, s2] = service.spots('estimate', dashcam);
    expect(service.answer(s1!.id, 13, false)).toMatchObject({ trainId: 13, cantTell: false });
    service.answer(s2!.id, null, true);
    expect(() => service.answer(s1!.id, 1, true)).toThrow(/either/);
    // No close, no checkpoint: a second connection (as after a crash) must already see them.
    const reopened = new LabelService(project.reopen(), project.cacheDir);
    const spots = reopened.spots('estimate', dashcam);
    expect(spots.find((s) => s.id === s1!.id)).toMatchObject({ trainId: 13, cantTell: false });
    expect(spots.find((s) => s.id === s2!.id)).toMatchObject({ trainId: null, cantTell: true });
    expect(spots.find((s) => s.id === s1!.id)!.answeredAt).not.toBeNull();
    reopened.dispose();
  });

  it('stores masks as labelIds and returns them as trainIds', async () => {
    const train = Uint8Array.from({ length: 32 }, (_, i) => (i < 8 ? 10 : i < 16 ? 255 : 0));
    await service.saveMaskPacked(frames[0]!.id, pack(train, 8, 4));
    const file = join(project.cacheDir, 'labels', `${frames[0]!.id}_gtFine_labelIds.png`);
    const { data, info } = await sharp(readFileSync(file)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(file).metadata()).channels).toBe(1);
    expect(info.channels).toBe(1);
    expect([data[0], data[8], data[16]]).toEqual([23, 0, 7]);
    const back = await service.mask(frames[0]!.id);
    expect(back).toMatchObject({ width: 8, height: 4 });
    expect(service.frameQueue(dashcam)[0]!.labelledAt).not.toBeNull();
    await expect(service.saveMaskPacked(frames[0]!.id, pack(new Uint8Array(16), 4, 4))).rejects.toThrow(/frame is 8×4/);
    await expect(service.saveMaskPacked(frames[0]!.id, pack(new Uint8Array(32).fill(40), 8, 4))).rejects.toThrow(/not a trainId/);
    await expect(service.saveMaskPacked(frames[0]!.id, { width: 8, height: 4, data: 'bm90IHpsaWI=' })).rejects.toThrow(/inflate/);
  });
});

describe('export and import', () => {
  it('round-trips masks through a Cityscapes gtFine folder', async () => {
    const out = makeTempDir();
    try {
      const train = Uint8Array.from({ length: 64 }, (_, i) => i % 19);
      await service.saveMask(frames[1]!.id, { data: train, width: 16, height: 4 });
      expect((await service.exportMasks(out.path)).written).toBe(1);
      const written = join(out.path, 'gtFine', 'val', 'dash_cam', 'dash_cam_000000_000000_gtFine_labelIds.png');
      expect((await sharp(written).metadata()).channels).toBe(1);
      service.deleteMask(frames[1]!.id);
      expect(await service.mask(frames[1]!.id)).toBeNull();
      const result = await service.importMasks(out.path, dashcam);
      expect(result).toEqual({ imported: 1, unmatched: [] });
      const back = await service.mask(frames[1]!.id);
      expect(back!.width).toBe(16);
    } finally {
      out.cleanup();
    }
  });

  it('round-trips spots through CSV and JSON, matching frames by dataset and path', async () => {
    await service.sample({ datasetId: dashcam, count: 4, seed: 2, sampler: 'uniform' });
    const spots = service.spots('estimate', dashcam);
    service.answer(spots[0]!.id, 2, false);
    service.answer(spots[1]!.id, null, true);
    const csv = service.exportSpots('csv');
    expect(csv.text.split('\r\n')[0]).toBe('dataset,rel_path,x,y,train_id,class,cant_tell,sampler,weight,answered_at');
    expect(csv.text).toContain('"Dash, cam"');
    const json = service.exportSpots('json');

    for (const [format, text] of [['csv', csv.text], ['json', json.text]] as const) {
      const fresh = makeProject();
      try {
        const d = fresh.addDataset('Dash, cam', 'dashcam');
        fresh.addFrame(d, 'seq/a.png', 8, 4);
        fresh.addFrame(d, 'seq/b.png', 16, 4);
        const s = new LabelService(fresh.db, fresh.cacheDir);
        expect(s.importSpots(format, text)).toEqual({ added: spots.length, updated: 0, unmatched: 0 });
        const imported = s.spots('estimate', d);
        expect(imported.map((x) => [x.x, x.y, x.trainId, x.cantTell, x.weight])).toEqual(
          service.spots('estimate', dashcam).map((x) => [x.x, x.y, x.trainId, x.cantTell, x.weight]),
        );
        expect(s.importSpots(format, text)).toMatchObject({ added: 0, unmatched: 0 });
        s.dispose();
      } finally {
        fresh.cleanup();
      }
    }
    expect(() => service.importSpots('csv', 'a,b\n1,2\n')).toThrow(/lacks the "dataset" column/);
    expect(() => service.importSpots('json', '{"spots":[{"dataset":"x","relPath":"y","x":1,"y":1,"trainId":40}]}')).toThrow(/not a trainId/);
  });
});
