import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompareQueryService } from '../../../main/compare/compareQueryService';
import { openProjectDatabase, type Db } from '../../../main/db/projectDatabase';
import { makeTempDir } from '../../helpers/tempDir';

let dir: { path: string; cleanup: () => void };
let db: Db;
let service: CompareQueryService;

const histogram = (counts: Record<number, number>) =>
  JSON.stringify(Array.from({ length: 19 }, (_, i) => counts[i] ?? 0));

/** Dataset 1 has five frames; frame 3 has no statistics, frames 1 and 4 carry labels. */
function seed(): void {
  db.prepare("INSERT INTO datasets (id, name, role, root, format) VALUES (1, 'Dashcam', 'dashcam', '/d', 'folder')").run();
  db.prepare("INSERT INTO datasets (id, name, role, root, format) VALUES (2, 'Sim', 'sim', '/s', 'gta5')").run();
  const frame = db.prepare(
    'INSERT INTO frames (id, dataset_id, rel_path, label_path, width, height, size_bytes, mtime_ms, sort_key, class_histogram) VALUES (?, ?, ?, ?, 1024, 512, 1, 1, ?, ?)',
  );
  frame.run(1, 1, 'a.png', 'gt/a.png', 0, histogram({ 0: 100, 11: 5 }));
  frame.run(2, 1, 'b.png', null, 1, null);
  frame.run(3, 1, 'c.png', null, 2, null);
  frame.run(4, 1, 'd.png', 'gt/d.png', 3, histogram({ 0: 100 }));
  frame.run(5, 1, 'e.png', null, 4, null);
  frame.run(6, 2, 'sim.png', 'labels/sim.png', 0, null);
  const model = db.prepare("INSERT INTO models (id, name, role, path, card_json, sha256) VALUES (?, ?, ?, '/m', '{}', 'x')");
  model.run(1, 'Source only', 'source_only');
  model.run(2, 'AdaptSegNet', 'adapted');
  model.run(3, 'Discriminator', 'discriminator');
  const prediction = db.prepare(
    'INSERT INTO predictions (frame_id, model_id, mask_path, confidence_path, entropy_path, class_histogram, mean_entropy, mean_confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  prediction.run(1, 1, 'p/1-1.png', 'p/1-1c.png', 'p/1-1e.png', histogram({ 0: 90, 13: 10 }), 0.2, 0.8);
  prediction.run(1, 2, 'p/1-2.png', null, null, histogram({ 0: 95, 13: 5 }), 0.4, 0.7);
  prediction.run(2, 1, 'p/2-1.png', null, null, histogram({ 0: 100 }), 0.9, 0.3);
  prediction.run(2, 3, 'p/2-3.png', null, null, '[]', 0.99, 0.99);
  prediction.run(5, 2, 'p/5-2.png', null, null, 'not json', 0.5, 0.6);
  const stats = db.prepare('INSERT INTO frame_stats (frame_id, disagreement, synthetic_score) VALUES (?, ?, ?)');
  stats.run(1, 0.1, 0.7);
  stats.run(2, 0.5, null);
  stats.run(4, 0.3, 0.9);
  stats.run(5, null, 0.2);
}

beforeEach(() => {
  dir = makeTempDir();
  db = openProjectDatabase(join(dir.path, 'project.sqlite'));
  seed();
  service = new CompareQueryService(db);
});
afterEach(() => {
  service.dispose();
  db.close();
  dir.cleanup();
});

const ids = (sort: 'index' | 'disagreement' | 'entropy' | 'synthetic', filter = {}, offset = 0, limit = 100) =>
  service.frames({ datasetId: 1, sort, filter, offset, limit }).frames.map((f) => f.id);

describe('CompareQueryService', () => {
  it('lists a dataset in dataset order with each frame statistics', () => {
    const page = service.frames({ datasetId: 1, sort: 'index', filter: {}, offset: 0, limit: 100 });
    expect(page.total).toBe(5);
    expect(page.frames.map((f) => f.id)).toEqual([1, 2, 3, 4, 5]);
    expect(page.frames[0]).toEqual({
      id: 1,
      relPath: 'a.png',
      hasLabel: true,
      width: 1024,
      height: 512,
      disagreement: 0.1,
      meanEntropy: expect.closeTo(0.3, 10),
      syntheticScore: 0.7,
    });
    // The discriminator's row does not count as a segmentation's entropy.
    expect(page.frames[1]!.meanEntropy).toBeCloseTo(0.9, 10);
    expect(page.frames[2]).toMatchObject({ disagreement: null, meanEntropy: null, syntheticScore: null });
  });

  it('sorts worst first and puts frames without the statistic last, in dataset order', () => {
    expect(ids('disagreement')).toEqual([2, 4, 1, 3, 5]);
    expect(ids('entropy')).toEqual([2, 5, 1, 3, 4]);
    expect(ids('synthetic')).toEqual([4, 1, 5, 2, 3]);
  });

  it('pages with offset and limit while the total counts every match', () => {
    const page = service.frames({ datasetId: 1, sort: 'disagreement', filter: {}, offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.frames.map((f) => f.id)).toEqual([4, 1]);
  });

  it('filters by label status', () => {
    expect(ids('index', { labelled: true })).toEqual([1, 4]);
    expect(ids('index', { labelled: false })).toEqual([2, 3, 5]);
    expect(service.frames({ datasetId: 1, sort: 'index', filter: { labelled: true }, offset: 0, limit: 1 }).total).toBe(2);
  });

  it('filters by a class present in a label or in any segmentation prediction', () => {
    expect(ids('index', { classPresent: 13 })).toEqual([1]);
    expect(ids('index', { classPresent: 11 })).toEqual([1]);
    expect(ids('index', { classPresent: 0 })).toEqual([1, 2, 4]);
    expect(ids('index', { classPresent: 5 })).toEqual([]);
    expect(ids('disagreement', { classPresent: 0, labelled: true })).toEqual([4, 1]);
  });

  it('refuses an unknown dataset', () => {
    expect(() => service.frames({ datasetId: 99, sort: 'index', filter: {}, offset: 0, limit: 10 })).toThrow(/no such dataset/);
  });

  it('describes one frame with each segmentation model and its prediction when there is one', () => {
    const detail = service.frame(1);
    expect(detail.dataset).toEqual({ id: 1, name: 'Dashcam', role: 'dashcam' });
    expect(detail.hasLabel).toBe(true);
    expect(detail.models.map((m) => [m.id, m.role])).toEqual([
      [1, 'source_only'],
      [2, 'adapted'],
    ]);
    expect(detail.models[0]!.prediction).toEqual({
      histogram: JSON.parse(histogram({ 0: 90, 13: 10 })),
      meanConfidence: 0.8,
      meanEntropy: 0.2,
      hasConfidence: true,
      hasEntropy: true,
    });
    expect(detail.models[1]!.prediction).toMatchObject({ hasConfidence: false, hasEntropy: false });
    expect(service.frame(3).models.every((m) => m.prediction === null)).toBe(true);
    // A histogram that does not parse reads as empty rather than failing the frame.
    expect(service.frame(5).models[1]!.prediction!.histogram).toEqual(new Array(19).fill(0));
    expect(() => service.frame(999)).toThrow(/no such frame/);
  });

  it('lists every model with its role', () => {
    expect(service.models()).toEqual([
      { id: 1, name: 'Source only', role: 'source_only' },
      { id: 2, name: 'AdaptSegNet', role: 'adapted' },
      { id: 3, name: 'Discriminator', role: 'discriminator' },
    ]);
  });
});
