/**
 * Checks batches of frames (frameCheck.ts: stamps, header, label decoded and counted) on
 * worker threads, one batch per worker at a time, so validation's reads and decodes use every
 * core while the main thread only writes rows. Synchronous calls there cost a few
 * microseconds each against tens for the promise API's round trips (bench/README.md §4).
 * Falls back to this thread when no worker can be started (an Electron build without the
 * entry, tsx missing in development) or one dies, a frame at a time with a yield between, so
 * the event loop keeps turning. Idle workers are unref'd: they never keep the process alive.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnPoolWorker } from '../services/workerEntry';
import { checkFrame, type CheckItem, type FrameCheck } from './frameCheck';
import type { LabelEncoding } from './labelDecode';

export interface CheckRequest {
  readonly id: number;
  readonly items: readonly CheckItem[];
  readonly encodings: readonly LabelEncoding[];
}

export interface CheckReply {
  readonly id: number;
  readonly checks: FrameCheck[];
}

interface Pending {
  readonly request: CheckRequest;
  readonly resolve: (checks: FrameCheck[]) => void;
  worker: Worker | null;
}

/** Workers to start: one per core, up to four (the main thread's share is the SQLite writes). */
const WORKERS = Math.max(1, Math.min(4, availableParallelism()));

export class FrameChecker {
  private readonly workers: Worker[] = [];
  private readonly busy = new Set<Worker>();
  private readonly queue: Pending[] = [];
  private readonly pending = new Map<number, Pending>();
  private broken = false;
  private nextId = 1;

  constructor(private readonly options: { readonly inThread?: boolean; readonly workers?: number } = {}) {}

  /** Where frames are checked: 'worker', or 'main thread' after a fallback or when asked. */
  get where(): 'worker' | 'main thread' {
    return this.options.inThread || this.broken ? 'main thread' : 'worker';
  }

  check(items: readonly CheckItem[], encodings: readonly LabelEncoding[]): Promise<FrameCheck[]> {
    const request: CheckRequest = { id: this.nextId++, items, encodings };
    if (this.where === 'main thread' || !this.startWorkers()) return checkHere(request);
    return new Promise<FrameCheck[]>((resolve) => {
      const p: Pending = { request, resolve, worker: null };
      this.pending.set(request.id, p);
      this.queue.push(p);
      this.dispatch();
    });
  }

  dispose(): void {
    this.broken = true;
    const workers = this.workers.splice(0);
    for (const w of workers) void w.terminate();
    this.failOver();
  }

  private startWorkers(): boolean {
    if (this.workers.length > 0) return true;
    try {
      for (let i = 0; i < (this.options.workers ?? WORKERS); i++) {
        // A worker that dies (failed start, crash) hands everything back to this thread.
        const worker: Worker = spawnPoolWorker(import.meta.url, 'frameCheckWorker', (reply: CheckReply) => this.settle(worker, reply), (w) => this.fail(w));
        this.workers.push(worker);
      }
      return true;
    } catch {
      this.dispose();
      return false;
    }
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (this.busy.has(worker)) continue;
      const p = this.queue.shift()!;
      p.worker = worker;
      this.busy.add(worker);
      worker.ref();
      worker.postMessage(p.request);
    }
  }

  private settle(worker: Worker, reply: CheckReply): void {
    this.busy.delete(worker);
    worker.unref();
    const p = this.pending.get(reply.id);
    if (p) {
      this.pending.delete(reply.id);
      p.resolve(reply.checks);
    }
    this.dispatch();
  }

  private fail(worker: Worker): void {
    if (!this.workers.includes(worker)) return;
    this.dispose();
  }

  /** Requests still out or queued are done here, in their order. */
  private failOver(): void {
    const left = [...this.pending.values()].sort((a, b) => a.request.id - b.request.id);
    this.pending.clear();
    this.queue.length = 0;
    this.busy.clear();
    for (const p of left) void checkHere(p.request).then(p.resolve);
  }
}

async function checkHere(request: CheckRequest): Promise<FrameCheck[]> {
  const out: FrameCheck[] = [];
  for (const item of request.items) {
    out.push(checkFrame(item, request.encodings));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}
