/**
 * Worker-thread entry: checks frames for FrameChecker with synchronous calls (frameCheck.ts),
 * which would block the main thread on a slow disk but here only hold up this thread.
 */
import { parentPort } from 'node:worker_threads';
import { checkFrame } from './frameCheck';
import type { CheckReply, CheckRequest } from './frameChecker';

const port = parentPort;
if (!port) throw new Error('frameCheckWorker.ts runs as a worker thread');

port.on('message', (req: CheckRequest) => {
  const reply: CheckReply = { id: req.id, checks: req.items.map((item) => checkFrame(item, req.encodings)) };
  port.postMessage(reply);
});
