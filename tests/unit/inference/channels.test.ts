import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceRunSummary } from '../../../common/inferenceContract';
import { createBackend, type Backend } from '../../../main/app/composition';
import { makeTempDir } from '../../helpers/tempDir';
import { model, writeFrame } from './helpers';

/** The inference channels end to end: dispatcher, handlers, composition, job queue, media routes. */
describe('inference channels through the backend', () => {
  const tmp = makeTempDir('s2r-channels-');
  let backend: Backend;
  const call = async (channel: string, payload: unknown = {}) => backend.dispatcher.dispatch(channel, payload);
  const value = async <T>(channel: string, payload: unknown = {}): Promise<T> => {
    const r = await call(channel, payload);
    if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };

  beforeAll(async () => {
    backend = createBackend({ appHome: join(tmp.path, 'home'), resourcesDir: tmp.path, transport: 'web' });
    mkdirSync(join(tmp.path, 'frames'));
    for (let i = 0; i < 3; i++) await writeFrame(join(tmp.path, 'frames', `f${i}.png`), 256, 128, i + 1);
  });
  afterAll(() => {
    backend.dispose();
    tmp.cleanup();
  });

  it('reports and pins execution providers, and refuses unknown ones', async () => {
    const report = await value<{ active: string; attempts: { provider: string }[] }>('inference:providers');
    expect(report.active).toBeTruthy();
    expect(report.attempts.at(-1)!.provider).toBe(report.active);
    expect(await call('inference:pinProvider', { provider: 'tpu' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await value('inference:pinProvider', { provider: 'cpu' })).toEqual({ active: 'cpu', activePrecision: null, pinned: 'cpu', gpuPrecision: 'fp32', attempts: [{ provider: 'cpu', ok: true, reason: null }] });
    const saved = JSON.parse(readFileSync(join(tmp.path, 'home', 'settings.json'), 'utf8')) as { inference: { pinnedProvider: string } };
    expect(saved.inference.pinnedProvider).toBe('cpu');
    expect((await value<{ pinned: null }>('inference:pinProvider', { provider: null })).pinned).toBeNull();
    expect(await call('inference:setGpuPrecision', { precision: 'fp64' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((await value<{ gpuPrecision: string }>('inference:setGpuPrecision', { precision: 'fp16' })).gpuPrecision).toBe('fp16');
    expect((JSON.parse(readFileSync(join(tmp.path, 'home', 'settings.json'), 'utf8')) as { inference: { gpuPrecision: string } }).inference.gpuPrecision).toBe('fp16');
    expect((await value<{ gpuPrecision: string }>('inference:setGpuPrecision', { precision: 'fp32' })).gpuPrecision).toBe('fp32');
  });

  it('imports a model, runs it on a dataset as a job, and serves the masks', async () => {
    expect(await value('models:list')).toEqual([]);
    await value('project:create', { name: 'Channels', parentDir: tmp.path });
    const inspection = await value<{ outputName: string; needs: string[] }>('models:inspect', { path: model('custom_out.onnx') });
    expect(inspection.outputName).toBe('out');
    const bad = await call('models:import', { path: model('bad_rank.onnx') });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_MODEL' } });
    const m = await value<{ id: number; classes: string[]; available: boolean }>('models:import', { path: model('tiny_seg.onnx'), role: 'source_only' });
    expect(m.classes).toHaveLength(19);
    expect(m.available).toBe(true);

    const { dataset } = await value<{ dataset: { id: number } }>('dataset:add', { name: 'cam', role: 'dashcam', root: join(tmp.path, 'frames') });
    await backend.projects.require().scope.jobs.idle();
    const { runId, jobId } = await value<{ runId: number; jobId: number }>('inference:run', { datasetId: dataset.id, modelIds: [m.id] });
    await backend.projects.require().scope.jobs.idle();
    const jobs = await value<{ id: number; status: string; done: number; total: number }[]>('jobs:list');
    expect(jobs.find((j) => j.id === jobId)).toMatchObject({ status: 'done', done: 3, total: 3 });
    const runs = await value<InferenceRunSummary[]>('inference:runs');
    expect(runs[0]).toMatchObject({ id: runId, status: 'done', provider: 'cpu', datasetName: 'cam', framesWritten: 3, framesInFolder: 3 });
    expect(runs[0]!.modelNames).toEqual([(await value<{ name: string }[]>('models:list'))[0]!.name]);
    expect(runs[0]!.framesPerSecond).toBeGreaterThan(0);
    // A second run over the same frames skips them all: it wrote none, so it has no speed.
    const again = await value<{ runId: number }>('inference:run', { datasetId: dataset.id, modelIds: [m.id] });
    await backend.projects.require().scope.jobs.idle();
    expect((await value<InferenceRunSummary[]>('inference:runs'))[0]).toMatchObject({ id: again.runId, status: 'done', framesWritten: 0, framesInFolder: 3, framesPerSecond: null });

    const frames = await value<{ frames: { id: number }[] }>('dataset:frames', { datasetId: dataset.id, offset: 0, limit: 10 });
    const media = await backend.media.get(`prediction/${frames.frames[0]!.id}/${m.id}/mask`);
    expect(media.contentType).toBe('image/png');
    expect(media.body.subarray(1, 4).toString()).toBe('PNG');
    await expect(backend.media.get(`frame/${frames.frames[0]!.id}/synthetic`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a run cancelled while queued is marked cancelled, and Run over the same models resumes it', async () => {
    const [dataset] = await value<{ id: number }[]>('dataset:list');
    const b = await value<{ id: number }>('models:import', { path: model('tiny_seg_b.onnx'), role: 'adapted' });
    const c = await value<{ id: number }>('models:import', { path: model('custom_out.onnx') });
    // Jobs run one at a time: the second waits behind the first and is cancelled before it starts.
    await value('inference:run', { datasetId: dataset!.id, modelIds: [b.id] });
    const queued = await value<{ runId: number; jobId: number }>('inference:run', { datasetId: dataset!.id, modelIds: [c.id] });
    expect((await value<{ id: number; status: string }[]>('jobs:list')).find((j) => j.id === queued.jobId)?.status).toBe('queued');
    await value('jobs:cancel', { jobId: queued.jobId });
    await backend.projects.require().scope.jobs.idle();
    const listed = () => value<InferenceRunSummary[]>('inference:runs');
    expect((await listed()).find((r) => r.id === queued.runId)).toMatchObject({ status: 'cancelled', framesWritten: 0 });
    const count = (await listed()).length;

    const resumed = await value<{ runId: number }>('inference:run', { datasetId: dataset!.id, modelIds: [c.id] });
    expect(resumed.runId).toBe(queued.runId);
    await backend.projects.require().scope.jobs.idle();
    expect(await listed()).toHaveLength(count);
    expect((await listed()).find((r) => r.id === queued.runId)).toMatchObject({ status: 'done', framesWritten: 3, framesInFolder: 3 });
    // A done run is not resumed: the same request again makes a new run, which finds every frame done.
    const again = await value<{ runId: number }>('inference:run', { datasetId: dataset!.id, modelIds: [c.id] });
    expect(again.runId).not.toBe(queued.runId);
  });
});
