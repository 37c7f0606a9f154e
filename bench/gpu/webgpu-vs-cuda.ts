/**
 * Our inference service on WebGPU against PyTorch CUDA, same model and input, on the device
 * tool's GPU machine (no Node there: bench/gpu/prepare.sh bundles this file and carries Node and
 * onnxruntime-node; bench/gpu/device.sh runs it). The model is our SegNet (native-models/s2r),
 * because that machine's torch has no torchvision: the ONNX file and the state dict torch loads
 * come from the same seeded module (tests/fixtures/models/make_models.py torchvision segnet).
 *
 * Times per frame, rounds alternating, for each model input size with a 1080 x 1920 frame:
 * - service: SegmentationSession.infer, as a run calls it: on a GPU the graph upsamples the
 *   labels to the frame and computes the maps, and labels and maps come back to the CPU;
 *   once per WebGPU variant (float16, with the post-processing too, preferred layout, validation, and "cpugraph": the
 *   graph the CPU gets, labels at the model's resolution, upsampled in JS), to choose defaults;
 * - bare: session.run on the model alone, logits copied back, same provider and options;
 * - torch: eager CUDA on the model alone, and "torch + post": the same work as the service
 *   (the input copied from CPU memory to the GPU, F.interpolate to the frame, argmax, softmax
 *   maps, all copied to the CPU), in float32 and with the model in float16.
 * RATIO = service / (torch + post), the same job on both sides (goal: within 2x); beside it, the
 * ratio to torch's float16 (the like-for-like one for the fp16 variant, our float16 rewrite) and
 * service / torch (the model alone on the torch side: stricter).
 *
 * CPU check here (no GPU): sh bench/gpu/prepare.sh, then
 *   S2R_REPO=$PWD npx tsx bench/gpu/webgpu-vs-cuda.ts --provider cpu --torch-device cpu --python /usr/bin/python3 --iters 3 --rounds 1
 * and on the software Vulkan driver (scripts/setup-lavapipe.sh), with LD_LIBRARY_PATH and
 * VK_DRIVER_FILES as in tests/unit/inference/webgpu.test.ts, --provider webgpu.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { resolveCard } from '../../main/inference/modelCard';
import { ProviderProbe } from '../../main/inference/providerProbe';
import { PROVIDERS, ProviderService, type ProviderName } from '../../main/inference/providerService';
import { toHalfPrecision } from '../../main/inference/halfPrecision';
import { mapStride } from '../../main/inference/postGraph';
import { upsampleLabels } from '../../main/inference/postprocess';
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
    frame: { type: 'string', default: '1080x1920' },
    variants: { type: 'string', default: 'default,fp16,fp16post,cpugraph,nhwc,nchw,novalidation' },
    iters: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});

/**
 * WebGPU execution provider options to compare; the service's own are "default". No graph
 * capture: onnxruntime-node 1.30 does not pass it on (checked on lavapipe: the top-level
 * enableGraphCapture is not parsed, the EP option is refused as unrecognized, and the session
 * config key ep.webgpuexecutionprovider.enableGraphCapture arrives after the EP is made).
 */
const WEBGPU_VARIANTS: Record<string, ort.InferenceSession.SessionOptions> = {
  default: {},
  nhwc: { executionProviders: [{ name: 'webgpu', preferredLayout: 'NHWC' }] },
  nchw: { executionProviders: [{ name: 'webgpu', preferredLayout: 'NCHW' }] },
  novalidation: { executionProviders: [{ name: 'webgpu', validationMode: 'disabled' }] },
  cpugraph: {},
  fp16: {},
  fp16post: {},
};
/** Variants that run the float16 rewrite (main/inference/halfPrecision.ts); fp16post halves the post-processing too. */
const HALF = new Set(['fp16', 'fp16post']);

async function main(): Promise<void> {
  const bytes = readFileSync(resolve(values.model));
  const pin = values.provider as ProviderName | undefined;
  if (pin && !PROVIDERS.includes(pin)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const home = join(REPO, '.cache', 'gpu-bench-home');
  // One probe for all: each provider is probed out of process once (seconds of device time each).
  const probe = new ProviderProbe({ cacheDir: null });
  const providerService = (provider: ProviderName | undefined, variant: string) =>
    new ProviderService({
      settings: new SettingsStore(home),
      probe,
      pinOverride: provider,
      precisionOverride: HALF.has(variant) ? 'fp16' : 'fp32',
      sessionOverrides: { webgpu: WEBGPU_VARIANTS[variant]! },
    });
  const report = await providerService(pin, 'default').report();
  console.log(`providers: ${JSON.stringify(report)}`);
  // Every GPU provider that works (CUDA where its libraries exist, and WebGPU), or the pinned one;
  // the variants only differ on WebGPU, and float16 applies to both GPUs.
  const gpus: ProviderName[] = [];
  for (const p of pin ? [pin] : (['cuda', 'webgpu'] as const)) if ((await providerService(p, 'default').report()).active === p) gpus.push(p);
  const variantsOf = (p: ProviderName) => values.variants.split(',').filter((v) => v in WEBGPU_VARIANTS && (p === 'webgpu' || v === 'default' || (p === 'cuda' && HALF.has(v))));
  const configs = (gpus.length ? gpus : ['cpu' as const]).flatMap((p) => variantsOf(p).map((variant) => ({ provider: p, variant })));
  const [fh, fw] = values.frame.split('x').map(Number) as [number, number];
  const frame = { height: fh, width: fw };
  const iters = Number(values.iters);
  const results: Record<string, unknown>[] = [];
  const started = performance.now();
  // Written after every row, so a run the device tool stops at its time limit keeps what it measured.
  const save = () => {
    if (!values.out) return;
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'webgpu-vs-cuda.json'), `${JSON.stringify({ report, results }, null, 2)}\n`);
  };
  for (const size of values.sizes.split(',')) {
    const [h, w] = size.split('x').map(Number) as [number, number];
    const card = resolveCard({ input_size: { height: h, width: w }, input: { name: 'input' }, output: { name: 'logits' } });
    const x = sharedInput(h, w);
    const feeds = { input: new ort.Tensor('float32', x, [1, 3, h, w]) };
    const torch = await TorchServer.start(values.python, ['segnet', String(availableParallelism()), String(h), String(w), values['torch-device'], resolve(values.state)]);
    const post = { cmd: 'time_post', frame: [fh, fw], stride: mapStride(h, w) };
    try {
      await torch.server.ask({ cmd: 'time', n: 10 });
      await torch.server.ask({ ...post, n: 10 });
      await torch.server.ask({ ...post, half: true, n: 10 });
      for (const { provider, variant } of configs) {
        const providers = providerService(provider, variant);
        const service = await SegmentationSession.open(bytes, card, providers, 'segnet.onnx', variant === 'cpugraph' ? { labelsAt: 'model' } : { halfPost: variant === 'fp16post' });
        if (service.provider !== provider) {
          console.log(`${size} ${provider} ${variant}: skipped, the session opened on ${service.provider}`);
          await service.dispose();
          continue;
        }
        // The CPU's graph leaves label upsampling to JS: timed with it, as a run would.
        const infer = async () => {
          const out = await service.infer(x, frame);
          if (out.labelHeight !== fh || out.labelWidth !== fw) upsampleLabels(out.labels, out.logits, card.classNames.length, out.labelHeight, out.labelWidth, fh, fw);
        };
        const bare = await providers.createSession(HALF.has(variant) ? toHalfPrecision(bytes) : bytes, 'segnet.onnx');
        try {
          if (service.precision !== providers.gpuPrecision()) throw new Error(`${variant}: the service opened ${service.precision}, not ${providers.gpuPrecision()}`);
          const y = (await bare.session.run(feeds)).logits!.data as Float32Array;
          const check = await torch.server.ask<{ head: number[] }>({ cmd: 'check' });
          const diff = check.head.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
          await timeMs(5, infer);
          // The first frame in float16 is checked against float32 (SegmentationSession.infer), and may stay float32.
          if (service.precision !== providers.gpuPrecision()) console.log(`${size} ${provider} ${variant}: now ${service.precision}: ${(await providers.report()).attempts[0]?.reason}`);
          await timeMs(5, () => bare.session.run(feeds));
          const [s, b, t, tp, th]: number[][] = [[], [], [], [], []];
          for (let r = 0; r < Number(values.rounds); r++) {
            s.push(...(await timeMs(iters, infer)));
            b.push(...(await timeMs(iters, () => bare.session.run(feeds))));
            t.push(...(await torch.server.ask<{ ms: number[] }>({ cmd: 'time', n: iters })).ms);
            tp.push(...(await torch.server.ask<{ ms: number[] }>({ ...post, n: iters })).ms);
            th.push(...(await torch.server.ask<{ ms: number[] }>({ ...post, half: true, n: iters })).ms);
          }
          const row = {
            size,
            frame: values.frame,
            variant,
            provider: service.provider,
            precision: service.precision,
            torch: `${torch.info.torch} on ${torch.info.device}${(torch.info as { cudnn_tf32?: boolean }).cudnn_tf32 ? ' (cuDNN TF32 allowed)' : ''}`,
            maxAbsDiff: diff,
            serviceMs: median(s),
            bareMs: median(b),
            torchMs: median(t),
            torchPostMs: median(tp),
            torchPostHalfMs: median(th),
            ratio: median(s) / median(tp),
            ratioHalf: median(s) / median(th),
            ratioModelOnly: median(s) / median(t),
          };
          results.push(row);
          save();
          console.log(`[${((performance.now() - started) / 1000).toFixed(0)} s]`);
          console.log(
            `${size} (frame ${values.frame}), ${service.provider} ${variant}: service ${row.serviceMs.toFixed(2)} ms, bare model ${row.bareMs.toFixed(2)} ms; ` +
              `torch ${torch.info.device} ${row.torchMs.toFixed(2)} ms, + upload and post ${row.torchPostMs.toFixed(2)} ms (float16: ${row.torchPostHalfMs.toFixed(2)} ms); max |diff| ${diff.toExponential(1)}`,
          );
          console.log(
            `RATIO webgpu-vs-cuda ${size} ${variant}: service/(torch + post) = ${row.ratio.toFixed(2)}x (goal <= 2); vs torch float16 + post ${row.ratioHalf.toFixed(2)}x; service/torch model = ${row.ratioModelOnly.toFixed(2)}x`,
          );
        } finally {
          await service.dispose();
          await bare.session.release();
        }
      }
    } finally {
      torch.server.stop();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
