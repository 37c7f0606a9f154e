/**
 * Worker-thread entry: decodes, resizes and normalises frames for FramePreparer, so the
 * Pillow-exact resize and the float conversion (10-20 ms of JS a frame) run beside
 * onnxruntime-node's session.run, which blocks the main thread while it infers.
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../common/errors';
import { prepareFrame, TensorPool, type PrepareReply, type PrepareRequest, type RecycleRequest } from './framePrep';

const port = parentPort;
if (!port) throw new Error('prepareWorker.ts runs as a worker thread');

const pool = new TensorPool();

port.on('message', (req: PrepareRequest | RecycleRequest) => {
  if ('recycle' in req) return pool.give(req.recycle.map((b) => new Float32Array(b)));
  prepareFrame(req.path, req.specs, pool).then(
    (frame) => {
      const reply: PrepareReply = { id: req.id, ok: true, frame };
      port.postMessage(reply, frame.inputs.map((t) => t.buffer as ArrayBuffer));
    },
    (err: unknown) => {
      const e = err as Error;
      const reply: PrepareReply = { id: req.id, ok: false, code: err instanceof AppError ? err.code : null, message: e?.message ?? String(err) };
      port.postMessage(reply);
    },
  );
});
