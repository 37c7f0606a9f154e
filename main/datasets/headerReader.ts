/**
 * Reads the headers of a batch of frames (stamp, image size, truncation) on a worker thread:
 * the validation pass's per-file cost is mostly I/O calls, and synchronous ones there cost a
 * few microseconds each against tens for the promise API's round trips (bench/README.md §4),
 * without ever blocking the main thread. Falls back to this thread, synchronously, when no
 * worker can be started (an Electron build without the entry, tsx missing in development) or
 * one dies. The worker is unref'd while idle, so it never keeps the process alive.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorkerEntry } from '../services/workerEntry';
import { readImageHeader, type HeaderReading } from './imageHeader';

export interface HeaderRequest {
  readonly id: number;
  readonly paths: readonly string[];
}

export interface HeaderReply {
  readonly id: number;
  readonly readings: HeaderReading[];
}

export class HeaderReader {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: HeaderReading[]) => void; paths: readonly string[] }>();

  constructor(private readonly options: { readonly inThread?: boolean } = {}) {}

  /** Where headers are read: 'worker', or 'main thread' after a fallback or when asked. */
  get where(): 'worker' | 'main thread' {
    return this.options.inThread || this.broken ? 'main thread' : 'worker';
  }

  read(paths: readonly string[]): Promise<HeaderReading[]> {
    const worker = this.where === 'worker' ? this.ensureWorker() : null;
    if (!worker) return Promise.resolve(paths.map(readImageHeader));
    const id = this.nextId++;
    return new Promise<HeaderReading[]>((resolve) => {
      this.pending.set(id, { resolve, paths });
      if (this.pending.size === 1) worker.ref();
      const req: HeaderRequest = { id, paths };
      worker.postMessage(req);
    });
  }

  dispose(): void {
    const worker = this.worker;
    this.worker = null;
    this.broken = true;
    void worker?.terminate();
    this.failOver();
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    try {
      const worker = spawnWorkerEntry(import.meta.url, 'headerWorker');
      worker.on('message', (reply: HeaderReply) => this.settle(reply));
      // A worker that dies (failed start, crash) hands its batches back to this thread.
      worker.on('error', () => this.fail(worker));
      worker.on('exit', () => this.fail(worker));
      worker.unref();
      this.worker = worker;
      return worker;
    } catch {
      this.broken = true;
      return null;
    }
  }

  private settle(reply: HeaderReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    p.resolve(reply.readings);
  }

  private fail(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.broken = true;
    this.failOver();
  }

  private failOver(): void {
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) p.resolve(p.paths.map(readImageHeader));
  }
}
