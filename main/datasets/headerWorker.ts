/**
 * Worker-thread entry: reads frame headers for HeaderReader with synchronous calls, which
 * would block the main thread on a slow disk but here only hold up this thread.
 */
import { parentPort } from 'node:worker_threads';
import type { HeaderReply, HeaderRequest } from './headerReader';
import { readImageHeader } from './imageHeader';

const port = parentPort;
if (!port) throw new Error('headerWorker.ts runs as a worker thread');

port.on('message', (req: HeaderRequest) => {
  const reply: HeaderReply = { id: req.id, readings: req.paths.map(readImageHeader) };
  port.postMessage(reply);
});
