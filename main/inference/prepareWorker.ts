/**
 * Worker-thread entry: decodes, resizes and normalises frames for FramePreparer, so the
 * Pillow-exact resize and the float conversion (10-20 ms of JS a frame) run beside
 * onnxruntime-node's session.run, which blocks the main thread while it infers.
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../common/errors';
import { prepareFrame, type PrepareReply, type PrepareRequest } from './framePrep';

const port = parentPort;
if (!port) throw new Error('prepareWorker.ts runs as a worker thread');

port.on('message', (req: PrepareRequest) => {
  prepareFrame(req.path, req.specs).then(
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
