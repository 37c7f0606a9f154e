/**
 * Shared by the inference benchmarks. Kept free of sharp and the database so bench/gpu can be
 * bundled into one file for a machine that has Node's onnxruntime and nothing else.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// S2R_REPO: bench/gpu runs as a bundle outside the repo, on a machine where the repo is the working directory.
export const REPO = process.env.S2R_REPO ?? join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** An ONNX export from tests/fixtures/models/make_models.py, made on first use into .cache/models. */
export function ensureModel(arch: 'lraspp' | 'deeplabv3' | 'segnet'): string {
  const path = join(REPO, '.cache', 'models', `${arch}.onnx`);
  if (existsSync(path)) return path;
  console.error(`exporting ${arch} with ${DEBIAN_PYTHON} (once) ...`);
  const made = spawnSync(DEBIAN_PYTHON, [join(REPO, 'tests', 'fixtures', 'models', 'make_models.py'), 'torchvision', arch, path], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (made.status !== 0) throw new Error(`could not export ${arch}: ${made.stderr.trim().split('\n').pop()}`);
  return path;
}

/** The input both sides use: 2 sin(i / 1000) over the flat NCHW index (bench/torch_eager.py builds the same). */
export function sharedInput(h: number, w: number, batch = 1): Float32Array {
  const one = new Float32Array(3 * h * w);
  for (let i = 0; i < one.length; i++) one[i] = 2 * Math.sin(i / 1000);
  const out = new Float32Array(batch * one.length);
  for (let b = 0; b < batch; b++) out.set(one, b * one.length);
  return out;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeMs(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** bench/torch_eager.py as a long-lived child answering one JSON line per command. */
export class TorchServer {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(python: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ server: TorchServer; info: { torch: string; device: string } }> {
    const child = spawn(python, [join(REPO, 'bench', 'torch_eager.py'), ...args], { env: { ...process.env, PYTHONUNBUFFERED: '1', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const server = new TorchServer(child);
    const first = await server.lines.next();
    if (first.done) throw new Error(`torch side did not start: ${stderr}`);
    return { server, info: JSON.parse(first.value) as { torch: string; device: string } };
  }

  async ask<T>(cmd: object): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('torch side exited');
    return JSON.parse(next.value) as T;
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** Tuned glibc malloc for the torch process (docs: stops big buffers being returned and faulted back each step). */
export const GLIBC_TUNED = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=17179869184' };

export function fmt(ms: number): string {
  return ms.toFixed(1).padStart(7);
}
