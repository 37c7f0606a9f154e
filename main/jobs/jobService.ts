import type { JobSummary } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Db } from '../db/projectDatabase';
import type { EventBus } from '../services/eventBus';
import { CancelledError, type JobContext } from './jobContext';

/** Runs one kind of job. Runners must be idempotent: a job resumed after a crash runs again. */
export type JobRunner = (params: unknown, ctx: JobContext) => Promise<void>;

interface JobRow {
  id: number;
  kind: string;
  params_json: string;
  status: JobSummary['status'];
  done: number;
  total: number;
  error: string | null;
}

const PROGRESS_INTERVAL_MS = 150;

/**
 * A persistent queue of long-running work in the project database. Jobs run one at a time;
 * a job left queued or running by a crash is resumed when the project opens again.
 */
export class JobService {
  private running: { id: number; controller: AbortController } | null = null;
  private disposed = false;
  private pump: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly runners: Readonly<Record<string, JobRunner>>,
    /** Per kind: told of a job cancelled before it started, whose runner never sees the cancel. */
    private readonly cancelledUnstarted: Readonly<Record<string, (params: unknown) => void>> = {},
  ) {
    this.db.prepare("UPDATE jobs SET status = 'queued' WHERE status = 'running'").run();
    this.kick();
  }

  enqueue(kind: string, title: string, params: unknown): number {
    if (!this.runners[kind]) throw new AppError('BAD_REQUEST', `unknown job kind ${kind}`);
    const info = this.db
      .prepare("INSERT INTO jobs (kind, params_json, status) VALUES (?, ?, 'queued')")
      .run(kind, JSON.stringify({ title, params }));
    const id = Number(info.lastInsertRowid);
    this.emit(id, null, null);
    this.kick();
    return id;
  }

  list(): JobSummary[] {
    const rows = this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT 50').all() as JobRow[];
    return rows.map(toSummary);
  }

  get(id: number): JobSummary | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toSummary(row) : null;
  }

  cancel(id: number): void {
    const job = this.get(id);
    if (!job) throw new AppError('NOT_FOUND', `job ${id} does not exist`);
    if (this.running?.id === id) {
      this.running.controller.abort();
    } else if (job.status === 'queued') {
      this.setStatus(id, 'cancelled', null);
      const row = this.db.prepare('SELECT params_json FROM jobs WHERE id = ?').get(id) as { params_json: string };
      this.cancelledUnstarted[job.kind]?.((JSON.parse(row.params_json) as { params: unknown }).params);
    }
  }

  /** Resolves when the queue is empty (tests and the command line wait on it). */
  async idle(): Promise<void> {
    while (true) {
      const current = this.pump;
      await current;
      if (current === this.pump && !this.nextQueued()) return;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.running?.controller.abort();
  }

  private kick(): void {
    // A failure outside a runner (the job row cannot be written: disk full, database closed) must
    // neither reject the chain, which would stop every later job, nor go unhandled, which ends the process.
    this.pump = this.pump
      .then(() => this.drain())
      .catch((err: unknown) => this.events.emit({ type: 'log', level: 'error', message: `Job queue: ${(err as Error).message ?? String(err)}` }));
  }

  private nextQueued(): JobRow | undefined {
    return this.db.prepare("SELECT * FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1").get() as JobRow | undefined;
  }

  private async drain(): Promise<void> {
    for (let row = this.nextQueued(); row && !this.disposed; row = this.nextQueued()) {
      await this.runOne(row);
    }
  }

  private async runOne(row: JobRow): Promise<void> {
    const controller = new AbortController();
    this.running = { id: row.id, controller };
    this.setStatus(row.id, 'running', null);
    // Rate counts from the first report: a resumed job reports the work it skipped first, and
    // counting that as done in no time would promise a far too early finish.
    let baseline: { at: number; done: number } | null = null;
    let lastEmit = 0;
    let stage: string | null = null;
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (done, total, note) => {
        const now = Date.now();
        const newStage = (note ?? null) !== stage;
        if (!newStage && now - lastEmit < PROGRESS_INTERVAL_MS && done < total) return;
        if (newStage) {
          // A new phase counts from zero at its own pace: the first phase's rate would promise nonsense.
          stage = note ?? null;
          baseline = null;
        }
        lastEmit = now;
        this.db.prepare("UPDATE jobs SET done = ?, total = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?").run(done, total, row.id);
        baseline ??= { at: now, done };
        const seconds = (now - baseline.at) / 1000;
        const rate = seconds > 0 ? (done - baseline.done) / seconds : null;
        // total 0: a count with no known end (files listed so far), so no ETA.
        const eta = rate && rate > 0 && total > 0 ? Math.max(0, (total - done) / rate) : null;
        this.emit(row.id, rate, eta, stage);
      },
      log: (message) => this.events.emit({ type: 'log', level: 'info', message }),
    };
    try {
      const { params } = JSON.parse(row.params_json) as { params: unknown };
      const runner = this.runners[row.kind];
      if (!runner) throw new Error(`no runner for job kind ${row.kind}`);
      await runner(params, ctx);
      if (this.disposed && controller.signal.aborted) return; // leave it queued for the next start
      this.setStatus(row.id, controller.signal.aborted ? 'cancelled' : 'done', null);
    } catch (err) {
      if (this.disposed) {
        this.setStatus(row.id, 'queued', null);
      } else if (err instanceof CancelledError || controller.signal.aborted) {
        this.setStatus(row.id, 'cancelled', null);
      } else {
        this.setStatus(row.id, 'failed', (err as Error).message);
        this.events.emit({ type: 'log', level: 'error', message: `Job ${row.id} failed: ${(err as Error).message}` });
      }
    } finally {
      this.running = null;
    }
  }

  private setStatus(id: number, status: JobSummary['status'], error: string | null): void {
    if (!this.db.open) return;
    this.db
      .prepare("UPDATE jobs SET status = ?, error = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?")
      .run(status, error, id);
    this.emit(id, null, null);
  }

  private emit(id: number, rate: number | null, etaSeconds: number | null, stage: string | null = null): void {
    if (!this.db.open) return;
    const job = this.get(id);
    if (job) this.events.emit({ type: 'job', job, stage, rate, etaSeconds });
  }
}

function toSummary(row: JobRow): JobSummary {
  let title = row.kind;
  try {
    title = (JSON.parse(row.params_json) as { title?: string }).title ?? row.kind;
  } catch {
    // keep the kind as the title
  }
  return { id: row.id, kind: row.kind, title, status: row.status, done: row.done, total: row.total, error: row.error };
}
