/**
 * A full disk: writing predictions, label masks and thumbnails into a full cache, and rows into
 * a project database on a full disk, fail with DISK_FULL naming the file; nothing half-written is
 * left, every row stored before survives, and the app carries on once space is freed.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, JobSummary } from '../../../common/contract';
import type { InferenceRunSummary } from '../../../common/inferenceContract';
import type { LabelSpot } from '../../../common/labelsContract';
import { makeTempDir } from '../../helpers/tempDir';
import { H, W } from '../../reliability/corpus';
import { expectTypedError, integrityCheck, keptRows, packedMask, seedProject, startHarness, type Harness } from '../../reliability/harness';
import { mountSmallDisk, type SmallDisk } from '../../reliability/smallDisk';
import { model } from '../inference/helpers';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

const frameIds = (h: Harness) => (h.db().prepare('SELECT id FROM frames ORDER BY id').all() as { id: number }[]).map((r) => r.id);

describe('a full cache', () => {
  const tmp = makeTempDir('s2r-fullcache-');
  let h: Harness;
  let disk: SmallDisk | null = null;
  let skip = '';
  let seeded: { datasetId: number; modelId: number };
  let before: Record<string, unknown[]>;

  beforeAll(async () => {
    h = await startHarness(join(tmp.path, 'home'));
    seeded = await seedProject(h, join(tmp.path, 'projects'), {
      onCreated: (dir) => {
        const made = mountSmallDisk(join(dir, 'cache'), 1 << 20, tmp.path);
        if ('skip' in made) skip = made.skip;
        else disk = made;
      },
    });
    before = keptRows(h.db());
    disk?.fill();
  });
  afterAll(() => {
    h?.dispose();
    disk?.unmount();
    tmp.cleanup();
  });

  it('refuses predictions, masks and thumbnail caching with DISK_FULL naming the file, and keeps every row', async (ctx) => {
    if (!disk) ctx.skip(skip);
    const cache = join(h.backend.projects.require().dir, 'cache');
    const { runId } = await h.ok<{ runId: number }>('inference:run', { datasetId: seeded.datasetId, modelIds: [seeded.modelId] });
    await h.idle();
    const job = (await h.ok<JobSummary[]>('jobs:list')).find((j) => j.kind === 'inference')!;
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/predictions\/m\d+\/\d+\.(mask|confidence|entropy)\.png: the disk is full/);
    const run = (await h.ok<InferenceRunSummary[]>('inference:runs')).find((r) => r.id === runId)!;
    expect(run.status).toBe('failed');

    const [kept, other] = frameIds(h);
    const saved = expectTypedError(await h.call('labels:saveMask', { frameId: other, mask: packedMask(W, H, 1) }), 'saveMask');
    expect(saved.code).toBe('DISK_FULL');
    expect(saved.message).toMatch(new RegExp(`labels/${other}_gtFine_labelIds\\.png: the disk is full`));
    // The mask saved before the disk filled still reads back whole.
    expect(await h.ok('labels:mask', { frameId: kept })).toMatchObject({ width: W, height: H });

    const thumb = await h.backend.media.get(`frame/${kept}/thumb`);
    expect(thumb.contentType).toBe('image/jpeg');
    expect([...thumb.body.subarray(0, 2)]).toEqual([0xff, 0xd8]);

    // Nothing half-written: no temp files, no cut-off thumbnail, no prediction file without a row.
    expect(filesUnder(cache).filter((f) => f !== '.filler').sort()).toEqual([`labels/${kept}_gtFine_labelIds.png`]);
    expect(keptRows(h.db())).toEqual(before);
    expect(integrityCheck(join(h.backend.projects.require().dir, 'project.sqlite'))).toBe('ok');
  });

  it('carries on once space is freed', async (ctx) => {
    if (!disk) ctx.skip(skip);
    disk!.free();
    await h.ok('inference:run', { datasetId: seeded.datasetId, modelIds: [seeded.modelId] });
    await h.idle();
    expect((await h.ok<JobSummary[]>('jobs:list'))[0]).toMatchObject({ kind: 'inference', status: 'done' });
    expect(h.db().prepare('SELECT count(*) FROM predictions').pluck().get()).toBe(frameIds(h).length);
    await h.ok('labels:saveMask', { frameId: frameIds(h)[1], mask: packedMask(W, H, 1) });
  });
});

describe('a project database on a full disk', () => {
  const tmp = makeTempDir('s2r-fulldb-');
  let h: Harness;
  let disk: SmallDisk | null = null;
  let skip = '';
  let before: Record<string, unknown[]>;
  const logged: string[] = [];

  beforeAll(async () => {
    h = await startHarness(join(tmp.path, 'home'));
    const mount = join(tmp.path, 'small');
    mkdirSync(mount);
    const made = mountSmallDisk(mount, 4 << 20, tmp.path);
    if ('skip' in made) {
      skip = made.skip;
      return;
    }
    disk = made;
    await seedProject(h, mount);
    h.backend.events.subscribe((e: AppEvent) => void (e.type === 'log' && e.level === 'error' && logged.push(e.message)));
    before = keptRows(h.db());
    // An empty WAL must grow for the next write; a long one would be reused in place.
    h.db().pragma('wal_checkpoint(TRUNCATE)');
    disk.fill();
  });
  afterAll(() => {
    h?.dispose();
    disk?.unmount();
    tmp.cleanup();
  });

  it('answers writes with DISK_FULL, keeps reading, and loses no row', async (ctx) => {
    if (!disk) ctx.skip(skip);
    const spots = await h.ok<LabelSpot[]>('labels:spots', { queue: 'estimate' });
    const refused = [
      await h.call('labels:answerSpot', { spotId: spots[0]!.id, trainId: 18, cantTell: false }),
      await h.call('project:rename', { name: 'Renamed' }),
      await h.call('dataset:rescan', { datasetId: 1 }),
    ];
    for (const r of refused) {
      const error = expectTypedError(r, JSON.stringify(r));
      expect(error.code).toBe('DISK_FULL');
      expect(error.message).toMatch(/the disk holding the project is full \(database or disk is full\)/);
    }
    expect(await h.ok('dataset:list')).toHaveLength(1);
    expect(keptRows(h.db())).toEqual(before);
    expect(logged).toEqual([]);
  });

  it('after space is freed, writes and jobs work again', async (ctx) => {
    if (!disk) ctx.skip(skip);
    disk!.free();
    const spots = await h.ok<LabelSpot[]>('labels:spots', { queue: 'estimate' });
    expect(await h.ok('labels:answerSpot', { spotId: spots[0]!.id, trainId: 18, cantTell: false })).toMatchObject({ trainId: 18 });
    const { jobId } = await h.ok<{ jobId: number }>('dataset:rescan', { datasetId: 1 });
    await h.idle();
    expect((await h.ok<JobSummary[]>('jobs:list')).find((j) => j.id === jobId)).toMatchObject({ status: 'done' });
    expect(integrityCheck(join(h.backend.projects.require().dir, 'project.sqlite'))).toBe('ok');
  });
});

describe('the job queue', () => {
  const tmp = makeTempDir('s2r-jobqueue-');
  afterAll(() => tmp.cleanup());

  it('outlives a job whose failure cannot be recorded (as when the disk is full)', async () => {
    const h = await startHarness(join(tmp.path, 'home'));
    const logged: string[] = [];
    h.backend.events.subscribe((e: AppEvent) => void (e.type === 'log' && e.level === 'error' && logged.push(e.message)));
    try {
      const { datasetId } = await seedProject(h, join(tmp.path, 'projects'));
      const doomed = join(tmp.path, 'doomed.onnx');
      copyFileSync(model('tiny_seg_b.onnx'), doomed);
      const { id } = await h.ok<{ id: number }>('models:import', { path: doomed });
      rmSync(doomed);
      h.db().exec(`CREATE TEMP TRIGGER no_failed BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'failed'
        BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
      await h.ok('inference:run', { datasetId, modelIds: [id] });
      await h.idle();
      expect(logged.join('\n')).toMatch(/Job queue: database or disk is full/);
      h.db().exec('DROP TRIGGER temp.no_failed');
      const { jobId } = await h.ok<{ jobId: number }>('dataset:rescan', { datasetId });
      await h.idle();
      expect((await h.ok<JobSummary[]>('jobs:list')).find((j) => j.id === jobId)).toMatchObject({ status: 'done' });
    } finally {
      h.dispose();
    }
  });
});
