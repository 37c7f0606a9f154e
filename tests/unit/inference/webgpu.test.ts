/**
 * The WebGPU execution provider, run for real: onnxruntime-node's WebGPU EP (Dawn on Vulkan) on
 * Mesa's software Vulkan driver, which `bash scripts/setup-lavapipe.sh` unpacks into
 * .cache/lavapipe (.ci/run does). The driver is handed to a child process only, so every other
 * test still sees a machine where WebGPU fails. Checks that a whole run on WebGPU gives the
 * masks, maps and statistics a direct CPU call gives (the discriminator merged into its feeder's
 * graph), and that the graph the service builds for a GPU keeps every tensor on it (ORT inserts no
 * copies between devices), with or without the discriminator, where the CPU's graph would not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../../../main/inference/modelService';
import { openProjectDatabase } from '../../../main/db/projectDatabase';
import { makeTempDir } from '../../helpers/tempDir';
import { addDataset, makeServices, model, openTestProject, type TestProject } from './helpers';
import { expectMatchesDirect, expectSyntheticMatchesDirect } from './reference';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const LAVAPIPE = join(REPO, '.cache', 'lavapipe');
const missing = existsSync(join(LAVAPIPE, 'icd.json')) ? null : `no software Vulkan driver in ${LAVAPIPE} (run: bash scripts/setup-lavapipe.sh)`;

interface ChildReport {
  outcome: { processed: number; failed: number; providers: string[] };
  report: { active: string | null; attempts: { provider: string; ok: boolean; reason: string | null }[] };
  graphs: Record<string, { toHost: number; fromHost: number }>;
  fp16: Record<string, { provider: string; precision: string; agreement: number; copies: number; finite: boolean; minusInf: number }>;
  fallback: { opened: string; after: string; reason: string | null };
}

describe.skipIf(missing !== null)(`WebGPU on a software Vulkan driver${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const tmp = makeTempDir('s2r-webgpu-');
  let p: TestProject;
  let frameIds: number[];
  let models: ModelRecord[];
  let child: ChildReport;

  beforeAll(async () => {
    p = openTestProject(join(tmp.path, 'project'));
    let datasetId: number;
    ({ datasetId, frameIds } = await addDataset(p.db, join(tmp.path, 'frames'), 3, [
      { width: 300, height: 150 },
      { width: 128, height: 64 },
      { width: 97, height: 203 },
    ]));
    const svc = makeServices(p, join(tmp.path, 'home-cpu'));
    models = [
      await svc.models.import({ path: model('tiny_seg.onnx'), role: 'source_only' }),
      await svc.models.import({ path: model('tiny_seg_b.onnx'), role: 'adapted' }),
      await svc.models.import({ path: model('tiny_disc.onnx'), role: 'discriminator' }),
      await svc.models.import({ path: model('custom_out.onnx'), inputSize: { height: 256, width: 512 } }),
    ];
    await svc.models.dispose();
    p.db.close();
    const lib = join(LAVAPIPE, 'root', 'usr', 'lib', 'x86_64-linux-gnu');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'tests', 'unit', 'inference', 'webgpuChild.ts'), p.dir, join(tmp.path, 'home-gpu'), String(datasetId), ...models.map((m) => String(m.id))],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 240_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), VK_DRIVER_FILES: join(LAVAPIPE, 'icd.json') },
      },
    );
    if (run.status !== 0) throw new Error(`the WebGPU child failed (${run.status ?? run.signal}): ${run.stderr.slice(-2000)}`);
    child = JSON.parse(run.stdout.trim().split('\n').pop()!) as ChildReport;
    p = { ...p, db: openProjectDatabase(join(p.dir, 'project.sqlite')) };
  }, 300_000);
  afterAll(() => {
    p.db.close();
    tmp.cleanup();
  });

  it('runs every frame on WebGPU, the pinned provider', () => {
    expect(child.outcome).toMatchObject({ processed: 3, failed: 0, providers: ['webgpu'] });
    expect(child.report.active).toBe('webgpu');
    expect(child.report.attempts[0]).toEqual({ provider: 'webgpu', ok: true, reason: null });
  });

  it('writes the masks, maps and statistics a direct CPU call gives', async () => {
    const paths = [model('tiny_seg.onnx'), model('tiny_seg_b.onnx'), null, model('custom_out.onnx')];
    for (const id of frameIds) {
      for (const [k, m] of models.entries()) if (paths[k]) await expectMatchesDirect(p, id, m, paths[k]!);
    }
    // The discriminator, merged into the graph of the model its card names (tiny_seg.onnx).
    const { inference } = makeServices(p, join(tmp.path, 'home-cpu'));
    for (const id of frameIds) await expectSyntheticMatchesDirect(p, id, models[0]!, paths[0]!, model('tiny_disc.onnx'), inference.syntheticFile(id));
  });

  it('keeps every tensor of the GPU graph on the GPU (the CPU graph would copy back and forth)', () => {
    for (const m of models.filter((x) => x.role !== 'discriminator')) {
      expect(child.graphs[`${m.id}:frame`], m.name).toEqual({ toHost: 0, fromHost: 0 });
      // With the discriminator merged in, its input (all the softmax) stays on the GPU too.
      expect(child.graphs[`${m.id}:frame+disc`], m.name).toEqual({ toHost: 0, fromHost: 0 });
      expect(child.graphs[`${m.id}:fp16+disc`], m.name).toEqual({ toHost: 0, fromHost: 0 });
      // The check can fail: the CPU's graph on WebGPU has uint8/int64 steps and NonZero, which go to the CPU.
      const cpuGraph = child.graphs[`${m.id}:model`]!;
      expect(cpuGraph.toHost + cpuGraph.fromHost, m.name).toBeGreaterThan(0);
    }
  });

  it('runs float16 on WebGPU when asked: the masks of float32 at 99.5% of pixels or more on our model, no copies', () => {
    for (const [key, r] of Object.entries(child.fp16)) {
      // finite: the shipped model's log-probabilities reach -inf in float16 (saturated by toHalfPrecision).
      expect(r, key).toMatchObject({ provider: 'webgpu', precision: 'fp16', copies: 0, finite: true, minusInf: 0 });
      // The test models have random weights, so their classes are closer together than a trained model's.
      expect(r.agreement, key).toBeGreaterThanOrEqual(key === 'shipped-adapted' ? 0.995 : 0.99);
    }
    expect(Object.keys(child.fp16)).toContain('shipped-adapted');
  });

  it('goes back to float32 after the first frame where float16 overflows, and says why', () => {
    expect(child.fallback).toMatchObject({ opened: 'fp16', after: 'fp32' });
    expect(child.fallback.reason).toMatch(/^runs fp32: float16 gave float32's labels at [\d.]+% of the first frame's labels, and values that overflowed/);
  });
});
