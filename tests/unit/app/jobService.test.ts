import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../common/contract';
import { openProjectDatabase, type Db } from '../../../main/db/projectDatabase';
import { throwIfCancelled } from '../../../main/jobs/jobContext';
import { JobService, type JobRunner } from '../../../main/jobs/jobService';
import { EventBus } from '../../../main/services/eventBus';
import { makeTempDir } from '../../helpers/tempDir';

let dir: { path: string; cleanup: () => void };
let db: Db;
let events: AppEvent[];
let bus: EventBus;

beforeEach(() => {
  dir = makeTempDir();
  db = openProjectDatabase(join(dir.path, 'p.sqlite'));
  events = [];
  bus = new EventBus();
  bus.subscribe((e) => events.push(e));
});
afterEach(() => {
  db.close();
  dir.cleanup();
});

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('JobService', () => {
  it('runs queued jobs in order and reports progress', async () => {
    const order: number[] = [];
    const count: JobRunner = async (params, ctx) => {
      const { n } = params as { n: number };
      for (let i = 1; i <= n; i++) {
        await tick();
        ctx.progress(i, n);
      }
      order.push(n);
    };
    const jobs = new JobService(db, bus, { count });
    jobs.enqueue('count', 'three', { n: 3 });
    jobs.enqueue('count', 'two', { n: 2 });
    await jobs.idle();
    expect(order).toEqual([3, 2]);
    expect(jobs.list().map((j) => [j.title, j.status, j.done, j.total])).toEqual([
      ['two', 'done', 2, 2],
      ['three', 'done', 3, 3],
    ]);
    const finalProgress = events.filter((e) => e.type === 'job' && e.job.title === 'three' && e.job.done === 3);
    expect(finalProgress.length).toBeGreaterThan(0);
  });

  it('cancels a running job through its signal', async () => {
    const forever: JobRunner = async (_p, ctx) => {
      for (;;) {
        await tick();
        throwIfCancelled(ctx.signal);
      }
    };
    const jobs = new JobService(db, bus, { forever });
    const id = jobs.enqueue('forever', 'never ends', {});
    await tick();
    jobs.cancel(id);
    await jobs.idle();
    expect(jobs.get(id)?.status).toBe('cancelled');
  });

  it('records a failure with its message and goes on with the next job', async () => {
    const jobs = new JobService(db, bus, {
      bad: async () => {
        throw new Error('disk full');
      },
      good: async () => {},
    });
    const bad = jobs.enqueue('bad', 'bad', {});
    const good = jobs.enqueue('good', 'good', {});
    await jobs.idle();
    expect(jobs.get(bad)).toMatchObject({ status: 'failed', error: 'disk full' });
    expect(jobs.get(good)?.status).toBe('done');
  });

  it('names each stage of a job and counts its rate from the stage start', async () => {
    const phased: JobRunner = async (_p, ctx) => {
      for (let i = 1; i <= 3; i++) ctx.progress(i * 1000, 0, 'listing files');
      await tick();
      ctx.progress(3000, 3000, 'indexing');
      await tick();
      ctx.progress(0, 3000, 'validating');
      await tick();
      ctx.progress(3000, 3000, 'validating');
    };
    const jobs = new JobService(db, bus, { phased });
    jobs.enqueue('phased', 'scan', {});
    await jobs.idle();
    const progress = events.filter((e) => e.type === 'job' && e.job.status === 'running' && e.stage !== null);
    const stages = progress.map((e) => (e.type === 'job' ? e.stage : null));
    // Every change of stage is reported at once, whatever the throttle.
    expect([...new Set(stages)]).toEqual(['listing files', 'indexing', 'validating']);
    const validating = progress.filter((e) => e.type === 'job' && e.stage === 'validating');
    const first = validating[0]!;
    const last = validating[validating.length - 1]!;
    if (first.type !== 'job' || last.type !== 'job') throw new Error('not job events');
    // The stage starts at 0 of 3000 with no rate yet; the listing's count (no total) never gets an ETA.
    expect([first.job.done, first.rate]).toEqual([0, null]);
    expect(last.job.done).toBe(3000);
    expect(progress.every((e) => e.type !== 'job' || e.stage !== 'listing files' || e.etaSeconds === null)).toBe(true);
  });

  it('resumes a job that a crash left running', async () => {
    db.prepare("INSERT INTO jobs (kind, params_json, status, done, total) VALUES ('work', ?, 'running', 5, 10)").run(
      JSON.stringify({ title: 'interrupted', params: { from: 5 } }),
    );
    const seen: unknown[] = [];
    const jobs = new JobService(db, bus, { work: async (params) => void seen.push(params) });
    await jobs.idle();
    expect(seen).toEqual([{ from: 5 }]);
    expect(jobs.list()[0]?.status).toBe('done');
  });
});
