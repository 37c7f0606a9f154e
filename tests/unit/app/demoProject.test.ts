import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CompareFrameDetail, CompareFrameRow, DatasetSummary, JobSummary } from '../../../common/contract';
import { createBackend, type Backend } from '../../../main/app/composition';
import { makeTempDir } from '../../helpers/tempDir';

const REPO = resolve(__dirname, '..', '..', '..');
const SHIPPED = ['source_only', 'adapted', 'oracle'];
const shipped = existsSync(join(REPO, 'fixtures', 'demo', 'sim')) && existsSync(join(REPO, 'native-models', 'models', 'adapted.onnx'));

/**
 * The bundled demo on a fresh app home: its first open starts the shipped models, so Compare has
 * masks. The runs are ordinary jobs (status bar progress, Cancel: tests/unit/app/jobService.test.ts).
 * Slow on a loaded two-core machine: the first open probes execution providers and 48 frames go
 * through four models.
 */
describe.skipIf(!shipped)('demo project', () => {
  const tmp = makeTempDir('s2r-demo-');
  const backends: Backend[] = [];
  afterEach(() => {
    for (const b of backends.splice(0)) b.dispose();
  });
  afterAll(() => tmp.cleanup());
  const close = (b: Backend): void => {
    backends.splice(backends.indexOf(b), 1);
    b.dispose();
  };

  const backend = (home: string): Backend => {
    const b = createBackend({ appHome: join(tmp.path, home), resourcesDir: REPO, transport: 'web' });
    backends.push(b);
    return b;
  };
  const call = async <T>(b: Backend, channel: string, payload: unknown = {}): Promise<T> => {
    const r = await b.dispatcher.dispatch(channel, payload);
    if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };
  const inferenceJobs = async (b: Backend) => (await call<JobSummary[]>(b, 'jobs:list')).filter((j) => j.kind === 'inference');

  it('runs the shipped models over both folders in the background on first open, and not again', async () => {
    const first = backend('home');
    await first.start();
    const datasets = await call<DatasetSummary[]>(first, 'dataset:list');
    expect(datasets.map((d) => d.role).sort()).toEqual(['dashcam', 'sim']);
    // start() returns once the folders are scanned; the runs are still queued or running.
    const queued = await inferenceJobs(first);
    expect(queued.map((j) => j.title)).toEqual([
      'Run source_only, adapted, oracle, discriminator on Simulator (demo)',
      'Run source_only, adapted, oracle, discriminator on Dashcam (demo)',
    ]);
    expect(queued.every((j) => j.status === 'queued' || j.status === 'running')).toBe(true);

    await first.projects.require().scope.jobs.idle();
    expect((await inferenceJobs(first)).map((j) => j.status)).toEqual(['done', 'done']);
    for (const dataset of datasets) {
      const { total, frames } = await call<{ total: number; frames: CompareFrameRow[] }>(first, 'compare:frames', {
        datasetId: dataset.id,
        sort: 'index',
        filter: {},
        offset: 0,
        limit: 1000,
      });
      expect(total).toBe(dataset.frameCount);
      // What Compare reads: both role defaults segmented every frame, and the discriminator scored it.
      for (const f of frames) {
        expect(f.disagreement, f.relPath).not.toBeNull();
        expect(f.syntheticScore, f.relPath).not.toBeNull();
      }
      const detail = await call<CompareFrameDetail>(first, 'compare:frame', { frameId: frames[0]!.id });
      for (const name of SHIPPED) expect(detail.models.find((m) => m.name === name)?.prediction, name).not.toBeNull();
    }
    const runs = await call<{ id: number }[]>(first, 'inference:runs');
    close(first);

    // Later opens (a restart, or Projects → Open demo) queue nothing.
    const again = backend('home');
    await again.start();
    await call(again, 'project:openDemo');
    expect((await inferenceJobs(again)).map((j) => j.status)).toEqual(['done', 'done']);
    expect(await call<{ id: number }[]>(again, 'inference:runs')).toHaveLength(runs.length);
  }, 600_000);
});
