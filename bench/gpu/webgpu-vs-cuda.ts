/**
 * Our inference service on WebGPU against PyTorch CUDA, same model and input, on the device
 * tool's GPU machine (no Node there: bench/gpu/prepare.sh bundles this file and carries Node and
 * onnxruntime-node; bench/gpu/device.sh runs it). The model is our SegNet (native-models/s2r),
 * because that machine's torch has no torchvision: the ONNX file and the state dict torch loads
 * come from the same seeded module (tests/fixtures/models/make_models.py torchvision segnet).
 *
 * Times per frame, rounds alternating: the service's session (provider chain CUDA, WebGPU, CPU;
 * post-processing appended to the graph; outputs copied back), the bare model on the same
 * provider, and torch eager on CUDA. RATIO = service / torch (goal: within 2x).
 *
 * CPU check here (no GPU): sh bench/gpu/prepare.sh, then
 *   S2R_REPO=$PWD npx tsx bench/gpu/webgpu-vs-cuda.ts --provider cpu --torch-device cpu --python /usr/bin/python3
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { resolveCard } from '../../main/inference/modelCard';
import { ProviderProbe } from '../../main/inference/providerProbe';
import { PROVIDERS, ProviderService, type ProviderName } from '../../main/inference/providerService';
import { SegmentationSession } from '../../main/inference/sessions';
import { SettingsStore } from '../../main/services/settingsStore';
import { median, REPO, sharedInput, timeMs, TorchServer } from '../lib';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO, '.gpu', 'segnet.onnx') },
    state: { type: 'string', default: join(REPO, '.gpu', 'segnet.pt') },
    python: { type: 'string', default: 'python3' },
    provider: { type: 'string' },
    'torch-device': { type: 'string', default: 'cuda' },
    sizes: { type: 'string', default: '256x512,512x1024,1024x2048' },
    iters: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const bytes = readFileSync(resolve(values.model));
  const pin = values.provider as ProviderName | undefined;
  if (pin && !PROVIDERS.includes(pin)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const home = join(REPO, '.cache', 'gpu-bench-home');
  const providers = new ProviderService({ settings: new SettingsStore(home), probe: new ProviderProbe({ cacheDir: null }), pinOverride: pin });
  const report = await providers.report();
  console.log(`providers: ${JSON.stringify(report)}`);
  const iters = Number(values.iters);
  const results: Record<string, unknown>[] = [];
  for (const size of values.sizes.split(',')) {
    const [h, w] = size.split('x').map(Number) as [number, number];
    const card = resolveCard({ input_size: { height: h, width: w }, input: { name: 'input' }, output: { name: 'logits' } });
    const service = await SegmentationSession.open(bytes, card, providers, 'segnet.onnx');
    const bare = await providers.createSession(bytes, 'segnet.onnx');
    const x = sharedInput(h, w);
    const feeds = { input: new ort.Tensor('float32', x, [1, 3, h, w]) };
    const torch = await TorchServer.start(values.python, ['segnet', String(availableParallelism()), String(h), String(w), values['torch-device'], resolve(values.state)]);
    try {
      const y = (await bare.session.run(feeds)).logits!.data as Float32Array;
      const check = await torch.server.ask<{ head: number[] }>({ cmd: 'check' });
      const diff = check.head.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
      await timeMs(5, () => service.infer(x));
      await timeMs(5, () => bare.session.run(feeds));
      await torch.server.ask({ cmd: 'time', n: 10 });
      const s: number[] = [];
      const b: number[] = [];
      const t: number[] = [];
      for (let r = 0; r < Number(values.rounds); r++) {
        s.push(...(await timeMs(iters, () => service.infer(x))));
        b.push(...(await timeMs(iters, () => bare.session.run(feeds))));
        t.push(...(await torch.server.ask<{ ms: number[] }>({ cmd: 'time', n: iters })).ms);
      }
      const row = {
        size,
        provider: service.provider,
        torch: `${torch.info.torch} on ${torch.info.device}`,
        maxAbsDiff: diff,
        serviceMs: median(s),
        bareMs: median(b),
        torchMs: median(t),
        ratio: median(s) / median(t),
      };
      results.push(row);
      console.log(
        `${size}: service (${service.provider}) ${row.serviceMs.toFixed(2)} ms, bare model ${row.bareMs.toFixed(2)} ms, torch ${torch.info.device} ${row.torchMs.toFixed(2)} ms, max |diff| ${diff.toExponential(1)}`,
      );
      console.log(`RATIO webgpu-vs-cuda ${size}: service/torch = ${row.ratio.toFixed(2)}x (goal <= 2)`);
    } finally {
      torch.server.stop();
      await service.dispose();
      await bare.session.release();
    }
  }
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'webgpu-vs-cuda.json'), `${JSON.stringify({ report, results }, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
