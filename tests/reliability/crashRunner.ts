/**
 * Starts tests/reliability/crashChild.ts and reads its lines. The child is bundled once with
 * esbuild (which tsx brings along), so each of the many starts costs node's start-up and not a
 * TypeScript compile: 1.2 s instead of 2.8 s here. Without esbuild it runs through tsx.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = join(REPO, 'tests', 'reliability', 'crashChild.ts');

export type Phase = 'scan' | 'infer' | 'label';

/** The command that runs the child: a bundle under .cache/ (so node_modules resolves), else tsx. */
export async function prepareChild(): Promise<string[]> {
  try {
    const { build } = await import('esbuild');
    const outfile = join(REPO, '.cache', 'reliability', 'crashChild.mjs');
    mkdirSync(join(REPO, '.cache', 'reliability'), { recursive: true });
    await build({ entryPoints: [SOURCE], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' });
    return [outfile];
  } catch {
    return ['--import', 'tsx', SOURCE];
  }
}

export interface ChildRun {
  /** Last `committed N` seen. */
  committed: number;
  readonly answered: number[];
  readonly masks: number[];
  done: boolean;
  readonly ready: Promise<void>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onCommitted(listener: (n: number) => void): void;
  kill(): void;
  stderr(): string;
}

export function startChild(command: string[], home: string, project: string, phase: Phase): ChildRun {
  const child = spawn(process.execPath, [...command, '--home', home, '--project', project, '--phase', phase], { stdio: ['ignore', 'pipe', 'pipe'] });
  const listeners: ((n: number) => void)[] = [];
  let markReady: () => void = () => {};
  let stdout = '';
  let stderr = '';
  const run: ChildRun = {
    committed: 0,
    answered: [],
    masks: [],
    done: false,
    ready: new Promise<void>((resolve) => (markReady = resolve)),
    exit: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    onCommitted: (listener) => listeners.push(listener),
    kill: () => void child.kill('SIGKILL'),
    stderr: () => stderr,
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop()!;
    for (const line of lines) {
      const [word, value] = line.split(' ');
      const n = Number(value);
      if (word === 'ready') markReady();
      else if (word === 'committed') {
        run.committed = Math.max(run.committed, n);
        for (const l of listeners) l(n);
      } else if (word === 'answered') run.answered.push(n);
      else if (word === 'mask') run.masks.push(n);
      else if (word === 'done') run.done = true;
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  void run.exit.then(() => markReady());
  return run;
}
