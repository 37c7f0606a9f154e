/**
 * Indexing speed against `find DIR -type f | wc -l` on the same folder, in the same run.
 * Builds a dashcam-style tree (frames/seqSSS/frame_FFFFFF.jpg, tiny files), then times:
 *   find            `find DIR -type f | wc -l` (readdir only: find uses the entry types)
 *   find + stat     `find DIR -type f -printf '%s %T@\n' | wc -l` (what an index must know)
 *   walk            our listing alone: readdir + one stat per file, natural order
 *   index           DatasetService.indexFiles into a fresh project database (the scan's
 *                   fast pass; validation — headers, labels, histograms — is a second pass)
 *   rescan          indexFiles again with nothing changed
 * Each is run three times; the best and the median are printed.
 *
 *   npx tsx bench/scan.bench.ts            (100,000 files)
 *   BENCH_FILES=20000 npx tsx bench/scan.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

async function time(run: () => unknown): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function measure(name: string, run: () => unknown): Promise<{ best: number; median: number }> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await time(run));
  times.sort((a, b) => a - b);
  const result = { best: times[0]!, median: times[Math.floor(times.length / 2)]! };
  console.log(`${name.padEnd(12)} best ${result.best.toFixed(0).padStart(6)} ms   median ${result.median.toFixed(0).padStart(6)} ms`);
  return result;
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
    console.log(`built ${FILES} files in ${(built / 1000).toFixed(1)} s under ${tree}`);
    const quoted = `'${tree.replace(/'/g, "'\\''")}'`;
    if (Number(shell(`find ${quoted} -type f | wc -l`)) !== FILES) throw new Error('find does not see every file');

    const find = await measure('find', () => shell(`find ${quoted} -type f | wc -l`));
    await measure('find + stat', () => shell(`find ${quoted} -type f -printf '%s %T@\\n' | wc -l`));
    await measure('walk', () => walkTree(tree, { signal: new AbortController().signal, classify: () => true }));

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

    console.log(`\nindex / find: ${(index.best / find.best).toFixed(1)}x (best of ${RUNS}), ${(index.median / find.median).toFixed(1)}x (median)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
