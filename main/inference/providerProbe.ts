import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildModel, DataType } from './onnxProto';

/** Providers that load drivers and native libraries: probed out of process, never in it first. */
export type ProbedProvider = 'cuda' | 'webgpu';
export interface ProbeResult {
  readonly ok: boolean;
  readonly reason: string | null;
}

export interface ProbeOptions {
  /** Where the result is cached between launches (the app home); null keeps it in memory only. */
  readonly cacheDir: string | null;
  readonly timeoutMs?: number;
  /** Cached failures are retried after this long, in case drivers were installed meanwhile. */
  readonly failureTtlMs?: number;
}

const CACHE_FILE = 'inference-providers.json';
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_FAILURE_TTL_MS = 24 * 3600_000;

// CommonJS run with `node -e`: it loads the same onnxruntime-node the app uses, creates a session
// on one provider, runs it once and prints one JSON line. Whatever the driver does (hang, abort,
// segfault) happens to this process, not to the app.
const PROBE_SCRIPT = `
const [ortPath, ep, b64] = process.argv.slice(1);
const done = (o) => { process.stdout.write(JSON.stringify(o) + '\\n', () => process.exit(0)); };
(async () => {
  const ort = require(ortPath);
  const s = await ort.InferenceSession.create(Buffer.from(b64, 'base64'), { executionProviders: [ep] });
  const x = new ort.Tensor('float32', new Float32Array(3 * 8 * 8).fill(0.5), [1, 3, 8, 8]);
  const y = (await s.run({ x }))[s.outputNames[0]].data;
  let sum = 0;
  for (let c = 0; c < 4; c++) sum += y[c * 64];
  if (y.length !== 4 * 64 || Math.abs(sum - 1) > 1e-3) throw new Error('the probe model ran but gave a wrong result');
  done({ ok: true });
})().catch((e) => done({ ok: false, reason: String((e && e.message) || e) }));
`;

/** A 1x1 convolution and a softmax: enough to make a provider compile and run real kernels. */
function probeModel(): Uint8Array {
  return buildModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'Softmax', inputs: ['c'], outputs: ['y'], attrs: { axis: 1 } },
    ],
    initializers: [{ name: 'w', type: DataType.FLOAT, dims: [4, 3, 1, 1], values: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1] }],
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 3, 8, 8] }],
    outputs: [{ name: 'y', type: DataType.FLOAT, shape: [1, 4, 8, 8] }],
  });
}

export function ortPackageDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return dirname(dirname(entry)); // .../onnxruntime-node/dist/index.js -> package root
}

export function cudaLibraryPath(): string {
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return join(ortPackageDir(), 'bin', 'napi-v6', process.platform, process.arch, lib);
}

/**
 * Finds out whether CUDA and WebGPU work here by trying each in a short-lived child process
 * with a timeout, and remembers the answer (in memory, and on disk keyed by everything that
 * could change it) so a provider that hangs costs its timeout once, not at every launch.
 */
export class ProviderProbe {
  private readonly memo = new Map<ProbedProvider, Promise<ProbeResult>>();

  constructor(private readonly options: ProbeOptions) {}

  result(provider: ProbedProvider): Promise<ProbeResult> {
    let pending = this.memo.get(provider);
    if (!pending) {
      pending = this.resolve(provider);
      this.memo.set(provider, pending);
    }
    return pending;
  }

  /** Forgets what was learnt, so the next question probes again. */
  reset(): void {
    this.memo.clear();
  }

  private async resolve(provider: ProbedProvider): Promise<ProbeResult> {
    if (provider === 'cuda' && !existsSync(cudaLibraryPath())) {
      return {
        ok: false,
        reason: 'the CUDA provider libraries are not installed (opt-in download: npm run setup:cuda; needs CUDA 12 and cuDNN 9)',
      };
    }
    const key = fingerprint();
    const cached = this.readCache(provider, key);
    if (cached) return cached;
    const result = await this.spawnProbe(provider);
    this.writeCache(provider, key, result);
    return result;
  }

  private spawnProbe(provider: ProbedProvider): Promise<ProbeResult> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const b64 = Buffer.from(probeModel()).toString('base64');
    return new Promise((resolvePromise) => {
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolvePromise(r);
      };
      // ELECTRON_RUN_AS_NODE makes the Electron binary behave as plain Node; Node ignores it.
      const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, ortPackageDir(), provider, b64], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ ok: false, reason: `initialisation did not finish within ${Math.round(timeoutMs / 1000)} s (probe killed)` });
      }, timeoutMs);
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
      child.on('error', (err) => finish({ ok: false, reason: `probe process could not start: ${err.message}` }));
      child.on('close', (code, signal) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          const parsed = JSON.parse(line) as { ok: boolean; reason?: string };
          finish(parsed.ok ? { ok: true, reason: null } : { ok: false, reason: explain(parsed.reason ?? 'unknown error', stderr) });
        } catch {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          finish({ ok: false, reason: explain(`probe process ${how}`, stderr) });
        }
      });
    });
  }

  private readCache(provider: ProbedProvider, key: string): ProbeResult | null {
    if (!this.options.cacheDir) return null;
    try {
      const all = JSON.parse(readFileSync(join(this.options.cacheDir, CACHE_FILE), 'utf8')) as Record<string, CacheEntry>;
      const entry = all[provider];
      if (!entry || entry.key !== key) return null;
      const ttl = this.options.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS;
      if (!entry.result.ok && Date.now() - entry.at > ttl) return null;
      return entry.result;
    } catch {
      return null;
    }
  }

  private writeCache(provider: ProbedProvider, key: string, result: ProbeResult): void {
    if (!this.options.cacheDir) return;
    const file = join(this.options.cacheDir, CACHE_FILE);
    let all: Record<string, CacheEntry> = {};
    try {
      all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, CacheEntry>;
    } catch {
      // first probe, or an unreadable cache: start afresh
    }
    all[provider] = { key, at: Date.now(), result };
    try {
      mkdirSync(this.options.cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
      renameSync(tmp, file);
    } catch {
      // a read-only home only costs a probe at the next launch
    }
  }
}

interface CacheEntry {
  key: string;
  at: number;
  result: ProbeResult;
}

/** What a cached answer depends on: the runtime, onnxruntime's build, and the CUDA libraries. */
function fingerprint(): string {
  let ortVersion = 'unknown';
  try {
    ortVersion = (JSON.parse(readFileSync(join(ortPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep 'unknown'
  }
  let cuda = 'absent';
  try {
    const s = statSync(cudaLibraryPath());
    cuda = `${s.size}:${Math.round(s.mtimeMs)}`;
  } catch {
    // keep 'absent'
  }
  return JSON.stringify([ortVersion, process.execPath, process.versions.node, process.versions.electron ?? '', process.platform, process.arch, cuda]);
}

/** Turns ORT's source-location-laden messages into a sentence, with the driver hint from stderr. */
export function explain(message: string, stderr: string): string {
  let text = message.replace(/\/onnxruntime_src\/\S+:\d+\s*/g, '');
  const cut = text.lastIndexOf(' was false. ');
  if (cut >= 0) text = text.slice(cut + ' was false. '.length);
  text = text.replace(/\s+/g, ' ').trim();
  const vulkan = /Couldn't load Vulkan: ([^\n]+)/.exec(stderr);
  if (vulkan) text += ` (Vulkan: ${vulkan[1]!.trim()})`;
  return text.slice(0, 400);
}
