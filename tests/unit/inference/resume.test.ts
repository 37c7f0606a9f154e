import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetService } from '../../../main/datasets/datasetService';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import { JobService } from '../../../main/jobs/jobService';
import { EventBus } from '../../../main/services/eventBus';
import { makeTempDir } from '../../helpers/tempDir';
import { addDataset, makeServices, model, openTestProject, writeFrame } from './helpers';

const CLI = fileURLToPath(new URL('../../../main/inference/cli.ts', import.meta.url));
const FRAMES = 24;

interface Row {
  frame_id: number;
  model_id: number;
  rowid: number;
  created_at: string;
}

/** Starts `npm run infer` (as node --import tsx, to skip npm's start-up) and collects its `frame N` lines. */
function startCli(args: string[], onFrame?: (lines: number[], kill: () => void) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--log-frames', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const frames: number[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) {
      const m = /^frame (\d+)$/.exec(line);
      if (m) {
        frames.push(Number(m[1]));
        onFrame?.(frames, () => child.kill('SIGKILL'));
      } else if (line.startsWith('{')) summary = JSON.parse(line) as Record<string, unknown>;
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let summary: Record<string, unknown> | null = null;
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { frames, done, stderr: () => stderr, summary: () => summary };
}

describe('batch runs resume after the process is killed', () => {
  const tmp = makeTempDir('s2r-resume-');
  const projectDir = join(tmp.path, 'project');
  let frameIds: number[];

  beforeAll(async () => {
    const p = openTestProject(projectDir);
    ({ frameIds } = await addDataset(p.db, join(tmp.path, 'frames'), FRAMES, { width: 1024, height: 512 }));
    p.db.close();
  });
  afterAll(() => tmp.cleanup());

  const rows = (): Row[] => {
    const p = openTestProject(projectDir);
    try {
      return p.db.prepare('SELECT rowid, frame_id, model_id, created_at FROM predictions ORDER BY frame_id, model_id').all() as Row[];
    } finally {
      p.db.close();
    }
  };

  it('refuses an unknown --precision before touching the project, naming the ones it takes', async () => {
    const before = rows();
    const cli = startCli(['--project', projectDir, '--dataset', 'frames', '--models', model('tiny_seg.onnx'), '--precision', 'fp64']);
    const { code } = await cli.done;
    expect(code).not.toBe(0);
    expect(cli.stderr()).toContain('--precision must be one of fp32, fp16');
    expect(rows()).toEqual(before);
  });

  it('SIGKILL mid-run, then the same command: no frame done twice, none lost', async () => {
    const args = ['--project', projectDir, '--dataset', 'dashcam', '--models', `${model('tiny_seg.onnx')},${model('tiny_seg_b.onnx')}`, '--home', join(tmp.path, 'home')];
    const first = startCli(args, (lines, kill) => {
      if (lines.length === 3) kill();
    });
    const killed = await first.done;
    expect(killed.signal, first.stderr()).toBe('SIGKILL');
    const afterKill = rows();
    const committed = new Set(afterKill.map((r) => r.frame_id));
    // Every frame the first process reported is committed, for both models, and the run stopped early.
    for (const id of first.frames) expect(afterKill.filter((r) => r.frame_id === id)).toHaveLength(2);
    expect(committed.size).toBeGreaterThanOrEqual(3);
    expect(committed.size).toBeLessThan(FRAMES);
    expect(afterKill.length).toBe(committed.size * 2);

    const second = startCli(args);
    const finished = await second.done;
    expect(finished.code, second.stderr()).toBe(0);
    expect(second.summary()).toMatchObject({ processed: FRAMES - committed.size, skipped: committed.size, failed: 0 });
    // The second process did exactly the frames the first had not committed.
    expect(second.frames.filter((id) => committed.has(id))).toEqual([]);
    expect(new Set([...committed, ...second.frames])).toEqual(new Set(frameIds));

    const final = rows();
    expect(final).toHaveLength(FRAMES * 2);
    // Rows committed before the kill were never rewritten.
    for (const before of afterKill) expect(final.find((r) => r.frame_id === before.frame_id && r.model_id === before.model_id)).toEqual(before);
    // The second command resumed the killed run, which counts each frame once; its speed is timed
    // between commits of the same process only, so the kill and the restart are left out.
    const p = openTestProject(projectDir);
    try {
      expect(p.db.prepare('SELECT COUNT(*) AS runs, SUM(frames_written) AS written, SUM(timed_frames) AS timed FROM runs').get()).toEqual({
        runs: 1,
        written: FRAMES,
        timed: FRAMES - 2,
      });
    } finally {
      p.db.close();
    }
  }, 120_000);

  it('a queued job is cancelled through its AbortSignal, then resumes where it stopped', async () => {
    const p = openTestProject(projectDir);
    const svc = makeServices(p, join(tmp.path, 'home'));
    const events = new EventBus();
    try {
      const m = await svc.models.import({ path: model('custom_out.onnx') }); // a model this project has not run yet
      let jobs = new JobService(p.db, events, { inference: async (params, ctx) => void (await svc.inference.execute((params as { runId: number }).runId, ctx)) });
      const runId = svc.inference.createRun(1, [m.id]);
      const seen: { done: number; rate: number | null; status: string }[] = [];
      const off = events.subscribe((e) => {
        if (e.type !== 'job') return;
        seen.push({ done: e.job.done, rate: e.rate, status: e.job.status });
        if (e.job.status === 'running' && e.job.done >= 2) jobs.cancel(e.job.id);
      });
      const jobId = jobs.enqueue('inference', 'run', { runId });
      await jobs.idle();
      off();
      expect(jobs.get(jobId)!.status).toBe('cancelled');
      expect(svc.inference.run(runId).status).toBe('cancelled');
      const partial = (p.db.prepare('SELECT count(*) AS n FROM predictions WHERE model_id = ?').get(m.id) as { n: number }).n;
      expect(partial).toBeGreaterThanOrEqual(2);
      expect(partial).toBeLessThan(FRAMES);
      expect(seen.some((s) => s.rate !== null && s.rate > 0)).toBe(true);

      // As after a crash: a new queue on the same database, the job enqueued again.
      jobs.dispose();
      jobs = new JobService(p.db, events, { inference: async (params, ctx) => void (await svc.inference.execute((params as { runId: number }).runId, ctx)) });
      const again = jobs.enqueue('inference', 'run', { runId });
      await jobs.idle();
      expect(jobs.get(again)!.status).toBe('done');
      expect(svc.inference.run(runId).status).toBe('done');
      const all = p.db.prepare('SELECT frame_id, run_id FROM predictions WHERE model_id = ?').all(m.id) as { frame_id: number; run_id: number }[];
      expect(all.map((r) => r.frame_id).sort((a, b) => a - b)).toEqual(frameIds);
      jobs.dispose();
    } finally {
      await svc.models.dispose();
      events.dispose();
      p.db.close();
    }
  }, 120_000);
});

describe('the command line finishes validation before it runs', () => {
  const tmp = makeTempDir('s2r-cli-validate-');
  afterAll(() => tmp.cleanup());

  it('validates frames a scan only listed, then runs over all of them', async () => {
    const projectDir = join(tmp.path, 'project');
    const framesDir = join(tmp.path, 'frames');
    mkdirSync(framesDir, { recursive: true });
    for (let i = 0; i < 6; i++) await writeFrame(join(framesDir, `frame_${i}.png`), 128, 64, i + 1);
    writeFileSync(join(framesDir, 'frame_9.png'), 'not a png');
    const p = openTestProject(projectDir);
    const datasets = new DatasetService(p.db);
    const { id } = datasets.addDataset({ name: 'listed', role: 'dashcam', root: framesDir });
    await datasets.indexFiles(id, detachedJobContext());
    expect(datasets.summary(id)).toMatchObject({ frameCount: 7, pendingCount: 7 });
    datasets.dispose();
    p.db.close();

    const cli = startCli(['--project', projectDir, '--dataset', 'listed', '--models', model('tiny_seg.onnx'), '--home', join(tmp.path, 'home')]);
    const { code } = await cli.done;
    expect(code, cli.stderr()).toBe(0);
    expect(cli.stderr()).toContain('7 frames not validated yet; validating them first');
    // The undecodable frame is validated as bad and left out of the run, as the app's run does.
    expect(cli.summary()).toMatchObject({ processed: 6, failed: 0 });
    const after = openTestProject(projectDir);
    try {
      expect(new DatasetService(after.db).summary(id)).toMatchObject({ frameCount: 7, pendingCount: 0 });
      expect(after.db.prepare('SELECT count(*) FROM predictions').pluck().get()).toBe(6);
    } finally {
      after.db.close();
    }
  }, 120_000);
});

