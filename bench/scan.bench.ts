/**
 * Indexing speed against `find DIR -type f | wc -l` on the same folder, in the same run.
 * Builds a dashcam-style tree (frames/seqSSS/frame_FFFFFF.jpg, tiny files), then times:
 *   find            `find DIR -type f | wc -l` (readdir only: find uses the entry types)
 *   find + stat     `find DIR -type f -printf '%s %T@\n' | wc -l` (what an index must know)
 *   walk            our listing alone: readdir per folder, natural order (what a first scan does)
 *   walk + stat     the same plus one stat per file (what a rescan does)
 *   index           addDataset (format detection) + DatasetService.indexFiles into a fresh
 *                   project database: the scan's fast pass. Validation (headers, labels,
 *                   histograms, file stamps) is the second pass and is not timed here.
 *   rescan          indexFiles again with nothing changed (a stat per file, no writes)
 * Each is run three times; the best and the median wall time are printed, and the CPU time
 * (user + system; for shell commands through GNU time) of the best run. On a shared,
 * overloaded machine the CPU ratio is the steadier figure: a short-lived `find` gets the
 * scheduler's wake-up credit, a long-running Node process does not.
 *
 *   npx tsx bench/scan.bench.ts            (100,000 files)
 *   BENCH_FILES=20000 npx tsx bench/scan.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetService } from '../main/datasets/datasetService';
import { walkTree } from '../main/datasets/walk';
import { openProjectDatabase } from '../main/db/projectDatabase';
import { detachedJobContext } from '../main/jobs/jobContext';

const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const PER_SEQUENCE = 1000;
const RUNS = 3;

function buildTree(root: string): void {
  const sequences = Math.ceil(FILES / PER_SEQUENCE);
  let made = 0;
  for (let s = 0; s < sequences; s++) {
    const dir = join(root, 'frames', `seq${String(s).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_SEQUENCE && made < FILES; f++, made++) {
      writeFileSync(join(dir, `frame_${String(f).padStart(6, '0')}.jpg`), 'x');
    }
  }
}

interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

/** `run` may return the CPU milliseconds it used elsewhere (a child process); otherwise ours are counted. */
async function time(run: () => unknown): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const childCpu = await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpuStart);
  return { wall, cpu: typeof childCpu === 'number' ? childCpu : (used.user + used.system) / 1000 };
}

async function measure(name: string, run: () => unknown): Promise<{ best: number; median: number; cpu: number }> {
  const times: Timing[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await time(run));
  times.sort((a, b) => a.wall - b.wall);
  const result = { best: times[0]!.wall, median: times[Math.floor(times.length / 2)]!.wall, cpu: times[0]!.cpu };
  const ms = (v: number) => v.toFixed(0).padStart(6);
  console.log(`${name.padEnd(12)} best ${ms(result.best)} ms   median ${ms(result.median)} ms   cpu ${ms(result.cpu)} ms`);
  return result;
}

const HAS_GNU_TIME = spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { encoding: 'utf8' }).status === 0;

/** Runs a shell command; returns its CPU milliseconds (children included) when GNU time is there. */
function shellCpu(command: string): number | undefined {
  if (!HAS_GNU_TIME) {
    shell(command);
    return undefined;
  }
  const out = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', `${command} >/dev/null`], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${command}: ${out.stderr}`);
  const [user, system] = out.stderr.trim().split(/\s+/).slice(-2).map(Number);
  return ((user ?? 0) + (system ?? 0)) * 1000;
}

function shell(command: string): string {
  const out = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${command}: ${out.stderr}`);
  return out.stdout.trim();
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 's2r-scan-bench-'));
  const tree = join(work, 'dashcam');
  try {
    const built = await time(() => buildTree(tree));
    console.log(`built ${FILES} files in ${(built.wall / 1000).toFixed(1)} s under ${tree}`);
    const quoted = `'${tree.replace(/'/g, "'\\''")}'`;
    if (Number(shell(`find ${quoted} -type f | wc -l`)) !== FILES) throw new Error('find does not see every file');

    const find = await measure('find', () => shellCpu(`find ${quoted} -type f | wc -l`));
    await measure('find + stat', () => shellCpu(`find ${quoted} -type f -printf '%s %T@\\n' | wc -l`));
    const signal = new AbortController().signal;
    await measure('walk', () => walkTree(tree, { signal, classify: () => true, needsStat: () => false }));
    await measure('walk + stat', () => walkTree(tree, { signal, classify: () => true }));

    let runNo = 0;
    let last: { service: DatasetService; id: number; close: () => void } | null = null;
    const index = await measure('index', async () => {
      last?.close();
      const db = openProjectDatabase(join(work, `project-${runNo++}.sqlite`));
      const service = new DatasetService(db);
      const { id, format } = service.addDataset({ name: 'bench', role: 'dashcam', root: tree });
      if (format !== 'folder') throw new Error(`detected ${format}`);
      const summary = await service.indexFiles(id, detachedJobContext());
      if (summary.added !== FILES) throw new Error(`indexed ${summary.added} of ${FILES}`);
      last = { service, id, close: () => (service.dispose(), db.close()) };
    });
    const indexed = last as { service: DatasetService; id: number; close: () => void } | null;
    if (!indexed) throw new Error('no index run');
    await measure('rescan', async () => {
      const summary = await indexed.service.indexFiles(indexed.id, detachedJobContext());
      if (summary.unchanged !== FILES) throw new Error(`rescan saw changes: ${JSON.stringify(summary)}`);
    });
    indexed.close();

    // GNU time counts in 10 ms steps, so the CPU ratio needs the full-size tree to mean much.
    console.log(`\nindex / find: ${(index.best / find.best).toFixed(1)}x wall (best of ${RUNS}), ${(index.median / find.median).toFixed(1)}x wall (median), ${find.cpu > 0 ? (index.cpu / find.cpu).toFixed(1) : 'n/a'}x CPU`);
    console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
