import type { Worker } from 'node:worker_threads';
import { AppError, ERROR_CODES, type ErrorCode } from '../../common/errors';
import { spawnPoolWorker } from '../services/workerEntry';
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

/** Input tensors a caller is done with, going back to a worker to be filled again (see TensorPool). */
export interface RecycleRequest {
  readonly recycle: ArrayBuffer[];
}

export type PrepareReply =
  | { readonly id: number; readonly ok: true; readonly frame: PreparedFrame }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode | null; readonly message: string };

/**
 * Float32 tensors to fill again. A fresh 1.5 MB tensor a frame (256 x 512) costs more than filling
 * it: measured 1.7-2.2 ms a frame with a new one, 0.7 ms reusing one (toTensorData alone, 200 frames).
 */
export class TensorPool {
  private readonly free: Float32Array[] = [];

  constructor(private readonly max = 8) {}

  take(length: number): Float32Array | undefined {
    const k = this.free.findIndex((t) => t.length === length);
    return k < 0 ? undefined : this.free.splice(k, 1)[0];
  }

  give(tensors: readonly Float32Array[]): void {
    for (const t of tensors) {
      if (this.free.length >= this.max) this.free.shift();
      this.free.push(t);
    }
  }
}

/** Decodes once per distinct input size and normalises once per spec (into `pool`'s tensors where it has them). */
export async function prepareFrame(path: string, specs: readonly InputSpec[], pool?: TensorPool): Promise<PreparedFrame> {
  const decoded = new Map<string, Promise<DecodedFrame>>();
  const inputs: Float32Array[] = [];
  let size = { width: 0, height: 0 };
  for (const { height, width, norm } of specs) {
    const key = `${height}x${width}`;
    if (!decoded.has(key)) decoded.set(key, decodeFrame(path, height, width));
    const d = await decoded.get(key)!;
    size = { width: d.width, height: d.height };
    inputs.push(toTensorData(d.rgb, width, height, norm, pool?.take(3 * width * height)));
  }
  return { ...size, inputs };
}

/**
 * Prepares frames on worker threads, up to `parallelism` at once, each reply going to the
 * request it answers (so a caller that reads ahead gets frames in order), and falls back to this
 * thread when no worker can be started (an Electron build without the worker entry, a missing tsx
 * in development) or one stops: what was out is then done here, in order. Workers are unref'd: an
 * idle preparer never keeps the process alive.
 */
export class FramePreparer {
  private readonly workers: { worker: Worker; out: number }[] = [];
  /** Tensors for this thread, when frames are prepared here. */
  private readonly pool = new TensorPool();
  private recycled = 0;
  private broken = false;
  private nextId = 1;
  private limit: number;
  private readonly pending = new Map<
    number,
    { resolve: (f: PreparedFrame) => void; reject: (e: Error) => void; path: string; specs: readonly InputSpec[]; slot: { worker: Worker; out: number } }
  >();

  constructor(private readonly options: { readonly inThread?: boolean; readonly parallelism?: number } = {}) {
    this.limit = Math.max(1, options.parallelism ?? 1);
  }

  /** Where frames are prepared: 'worker' or 'main thread' (after a fallback, or when asked). */
  get where(): 'worker' | 'main thread' {
    return this.options.inThread || this.broken ? 'main thread' : 'worker';
  }

  /** How many frames may be prepared at once (workers are started as requests need them). */
  get parallelism(): number {
    return this.where === 'worker' ? this.limit : 1;
  }

  /** Workers started so far. */
  get workerCount(): number {
    return this.workers.length;
  }

  set parallelism(n: number) {
    this.limit = Math.max(1, Math.floor(n));
  }

  prepare(path: string, specs: readonly InputSpec[]): Promise<PreparedFrame> {
    const slot = this.where === 'worker' ? this.pickWorker() : null;
    if (!slot) return prepareFrame(path, specs, this.pool);
    const id = this.nextId++;
    return new Promise<PreparedFrame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path, specs, slot });
      if (slot.out++ === 0) slot.worker.ref();
      const req: PrepareRequest = { id, path, specs };
      slot.worker.postMessage(req);
    });
  }

  /**
   * Hands back a frame's input tensors once the sessions have read them, to be filled again by
   * the next frames (they are detached here, moved to a worker).
   */
  recycle(inputs: readonly Float32Array[]): void {
    if (this.workers.length === 0) return this.pool.give(inputs);
    const slot = this.workers[this.recycled++ % this.workers.length]!;
    const req: RecycleRequest = { recycle: inputs.map((t) => t.buffer as ArrayBuffer) };
    slot.worker.postMessage(req, req.recycle);
  }

  dispose(): void {
    this.broken = true;
    this.stopAll();
  }

  /** The least busy worker, or a new one while fewer than `parallelism` run and all are busy. */
  private pickWorker(): { worker: Worker; out: number } | null {
    const idle = this.workers.reduce<{ worker: Worker; out: number } | null>((best, w) => (!best || w.out < best.out ? w : best), null);
    if (idle && (idle.out === 0 || this.workers.length >= this.limit)) return idle;
    try {
      const worker = spawnPoolWorker(import.meta.url, 'prepareWorker', (reply: PrepareReply) => this.settle(reply), (w) => this.fail(w));
      const slot = { worker, out: 0 };
      this.workers.push(slot);
      return slot;
    } catch {
      this.broken = true;
      this.stopAll();
      return null;
    }
  }

  private settle(reply: PrepareReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (--p.slot.out === 0) p.slot.worker.unref();
    if (reply.ok) p.resolve(reply.frame);
    else p.reject(reply.code && ERROR_CODES.includes(reply.code) ? new AppError(reply.code, reply.message) : new Error(reply.message));
  }

  private fail(worker: Worker): void {
    if (!this.workers.some((w) => w.worker === worker)) return;
    this.broken = true;
    this.stopAll();
  }

  /** Stops every worker; requests still out are done here, in their order. */
  private stopAll(): void {
    const workers = this.workers.splice(0);
    for (const w of workers) void w.worker.terminate();
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) prepareFrame(p.path, p.specs, this.pool).then(p.resolve, p.reject);
  }
}

/**
 * How many frames to prepare at once: decoding and the Pillow-exact resize cost 15-40 CPU-ms a
 * frame (1024x512 to 1080p), so with the model on a GPU one worker caps a run at 25-60 frames/s;
 * every core but the main thread's may prepare then. With the model on the CPU, ORT's threads
 * want the cores: a quarter of them (one on 2-4 cores, as before).
 */
export function preparerParallelism(cores: number, modelOnGpu: boolean): number {
  return Math.max(1, Math.min(4, modelOnGpu ? cores - 1 : Math.floor(cores / 4)));
}
