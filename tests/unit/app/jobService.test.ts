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
