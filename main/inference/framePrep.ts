import type { Worker } from 'node:worker_threads';
import { AppError, ERROR_CODES, type ErrorCode } from '../../common/errors';
import { spawnWorkerEntry } from '../services/workerEntry';
import { decodeFrame, toTensorData, type DecodedFrame, type Normalization } from './preprocess';

/** What one model needs from a frame: its input size and normalisation. */
export interface InputSpec {
  readonly height: number;
  readonly width: number;
  readonly norm: Normalization;
}

export interface PreparedFrame {
  /** Frame size on disk. */
  readonly width: number;
  readonly height: number;
  /** One NCHW float32 tensor per spec, in the order given. */
  readonly inputs: Float32Array[];
}

export interface PrepareRequest {
  readonly id: number;
  readonly path: string;
  readonly specs: readonly InputSpec[];
}

export type PrepareReply =
  | { readonly id: number; readonly ok: true; readonly frame: PreparedFrame }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode | null; readonly message: string };

/** Decodes once per distinct input size and normalises once per spec. */
export async function prepareFrame(path: string, specs: readonly InputSpec[]): Promise<PreparedFrame> {
  const decoded = new Map<string, Promise<DecodedFrame>>();
  const inputs: Float32Array[] = [];
  let size = { width: 0, height: 0 };
  for (const { height, width, norm } of specs) {
    const key = `${height}x${width}`;
    if (!decoded.has(key)) decoded.set(key, decodeFrame(path, height, width));
    const d = await decoded.get(key)!;
    size = { width: d.width, height: d.height };
    inputs.push(toTensorData(d.rgb, width, height, norm));
  }
  return { ...size, inputs };
}

/**
 * Prepares frames on a worker thread, one request after another in the order asked (so a
 * caller that reads ahead gets frames in order), and falls back to this thread when no worker
 * can be started (an Electron build without the worker entry, a missing tsx in development).
 * The worker is unref'd: an idle preparer never keeps the process alive.
 */
export class FramePreparer {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (f: PreparedFrame) => void; reject: (e: Error) => void; path: string; specs: readonly InputSpec[] }>();

  constructor(private readonly options: { readonly inThread?: boolean } = {}) {}

  /** Where frames are prepared: 'worker' or 'main thread' (after a fallback, or when asked). */
  get where(): 'worker' | 'main thread' {
    return this.options.inThread || this.broken ? 'main thread' : 'worker';
  }

  prepare(path: string, specs: readonly InputSpec[]): Promise<PreparedFrame> {
    const worker = this.where === 'worker' ? this.ensureWorker() : null;
    if (!worker) return prepareFrame(path, specs);
    const id = this.nextId++;
    return new Promise<PreparedFrame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path, specs });
      if (this.pending.size === 1) worker.ref();
      const req: PrepareRequest = { id, path, specs };
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
      const worker = spawnWorkerEntry(import.meta.url, 'prepareWorker');
      worker.on('message', (reply: PrepareReply) => this.settle(reply));
      // A worker that dies (failed start, crash) hands its frames back to this thread.
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

  private settle(reply: PrepareReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) p.resolve(reply.frame);
    else p.reject(reply.code && ERROR_CODES.includes(reply.code) ? new AppError(reply.code, reply.message) : new Error(reply.message));
  }

  private fail(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.broken = true;
    this.failOver();
  }

  /** Requests still out are done here, in their order. */
  private failOver(): void {
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) prepareFrame(p.path, p.specs).then(p.resolve, p.reject);
  }
}
