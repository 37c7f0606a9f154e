/**
 * onnxruntime-node vs PyTorch eager on the CPU: the same model (the ONNX file is an export of the
 * module torch rebuilds, checked by comparing outputs), the same threads, the same input. Rounds
 * alternate between the two so load from other processes hits both alike.
 *
 *   npm run bench -- ort-vs-torch
 *   BENCH_ARCH=deeplabv3 BENCH_THREADS=2 BENCH_SIZE=256x512 npm run bench -- ort-vs-torch
 * Prints ms per frame (median) and the ratio torch / ORT (goal >= 1.5).
 */
import * as ort from 'onnxruntime-node';
import { sessionOptions } from '../main/inference/providerService';
import { DEBIAN_PYTHON, ensureModel, fmt, GLIBC_TUNED, median, sharedInput, timeMs, TorchServer } from './lib';

const ARCH = (process.env.BENCH_ARCH ?? 'lraspp') as 'lraspp' | 'deeplabv3' | 'segnet';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const [H, W] = (process.env.BENCH_SIZE ?? '256x512').split('x').map(Number) as [number, number];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ITERS = Number(process.env.BENCH_ITERS ?? 8);

async function main(): Promise<void> {
  const path = ensureModel(ARCH);
  const session = await ort.InferenceSession.create(path, sessionOptions('cpu', THREADS));
  const input = new ort.Tensor('float32', sharedInput(H, W), [1, 3, H, W]);
  const feeds = { [session.inputNames[0]!]: input };
  const args = [ARCH, String(THREADS), String(H), String(W)];
  const tuned = await TorchServer.start(DEBIAN_PYTHON, args, GLIBC_TUNED);
  const stock = await TorchServer.start(DEBIAN_PYTHON, args);
  try {
    const y = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
    const check = await tuned.server.ask<{ sum: number; head: number[] }>({ cmd: 'check' });
    let maxDiff = 0;
    check.head.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - y[i]!))));
    const sum = y.reduce((a, v) => a + v, 0);
    console.log(`model ${ARCH}, input 1x3x${H}x${W}, ${THREADS} threads, torch ${tuned.info.torch}, onnxruntime-node ${ort.env.versions.common}`);
    console.log(`same model: max |torch - ORT| over the first 256 outputs ${maxDiff.toExponential(2)}, sums ${check.sum.toFixed(3)} vs ${sum.toFixed(3)}`);
    if (maxDiff > 1e-3) throw new Error('the two sides disagree: not the same model');

    await timeMs(3, () => session.run(feeds));
    await tuned.server.ask({ cmd: 'time', n: 5 });
    await stock.server.ask({ cmd: 'time', n: 5 });
    const ortMs: number[] = [];
    const tunedMs: number[] = [];
    const stockMs: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const o = await timeMs(ITERS, () => session.run(feeds));
      const t = (await tuned.server.ask<{ ms: number[] }>({ cmd: 'time', n: ITERS })).ms;
      const s = (await stock.server.ask<{ ms: number[] }>({ cmd: 'time', n: ITERS })).ms;
      ortMs.push(...o);
      tunedMs.push(...t);
      stockMs.push(...s);
      ratios.push(median(t) / median(o));
      console.log(`round ${r + 1}: ORT ${fmt(median(o))} ms  torch ${fmt(median(t))} ms (tuned malloc) ${fmt(median(s))} ms (stock)`);
    }
    const ratio = median(tunedMs) / median(ortMs);
    console.log(`median ms/frame: ORT ${median(ortMs).toFixed(1)}, torch eager ${median(tunedMs).toFixed(1)} (tuned malloc), ${median(stockMs).toFixed(1)} (stock)`);
    console.log(`RATIO ort-vs-torch: torch/ORT = ${ratio.toFixed(2)}x (per-round median ${median(ratios).toFixed(2)}x; vs stock torch ${(median(stockMs) / median(ortMs)).toFixed(2)}x; goal >= 1.5)`);
  } finally {
    tuned.server.stop();
    stock.server.stop();
    await session.release();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
