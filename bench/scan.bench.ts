/**
 * Indexing speed against `find DIR -type f | wc -l` on the same folder, in the same run.
 * Builds a dashcam-style tree (frames/seqSSS/frame_FFFFFF.jpg, tiny files), warms the cache
 * with one untimed pass of each side, then runs ROUNDS rounds; each round times, one after
 * the other (so load from other processes falls on both alike):
 *   find         `find DIR -type f | wc -l` (readdir only: find uses the entry types)
 *   find + stat  `find DIR -type f -printf '%s %T@\n' | wc -l` (what a rescan must know)
 *   walk         the index's listing alone (walkTree: readdir per folder, natural order)
 *   listing      the index's SQLite writes alone: the same listing through FrameListing, in
 *                one transaction, into a fresh project
 *   index        addDataset (format detection) + DatasetService.indexFiles into a project
 *                opened before the clock starts: the scan's first phase, i.e. listing,
 *                natural order, pairing and every frame committed to the project's listing.
 *                Validation (headers, labels, file stamps, and each frame's row) is the
 *                second phase, timed apart below.
 *   checkpoint   what the second phase starts with: the index's WAL pages copied into the
 *                database file (timed apart so the index figure hides nothing)
 *   validate     the second phase: each file stat'ed and opened (the bench's files are one
 *                byte, so each is a bad image: the cost is the I/O and the row, not decoding)
 *                and its frame row written
 *   rescan       indexFiles again, after validation, with nothing changed (a stat per
 *                indexed file, no writes)
 * and prints the medians, the per-round ratio index / find and its median. Wall time is the
 * goal's measure; CPU time (user + system; GNU time for the shell commands) is printed too.
 *
 *   npx tsx bench/scan.bench.ts                       (100,000 files, 5 rounds)
 *   BENCH_FILES=20000 BENCH_ROUNDS=3 npx tsx bench/scan.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetService } from '../main/datasets/datasetService';
import { FrameListing, listedFrames } from '../main/datasets/frameListing';
import { FrameStore, type FrameFacts } from '../main/datasets/frameStore';
import { NOT_STATED, walkTree } from '../main/datasets/walk';
import { openProjectDatabase } from '../main/db/projectDatabase';
import { detachedJobContext } from '../main/jobs/jobContext';

const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_SEQUENCE = 1000;

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

async function timed(run: () => unknown): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpuStart);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

const HAS_GNU_TIME = spawnSync('/usr/bin/time', ['-f', '%U', 'true'], { encoding: 'utf8' }).status === 0;

/** Runs a shell command; wall time is ours, CPU time (children included) from GNU time when it is there. */
function shell(command: string): Timing {
  const argv = HAS_GNU_TIME ? ['/usr/bin/time', '-f', '%U %S', 'sh', '-c', command] : ['sh', '-c', command];
  const start = performance.now();
  const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const wall = performance.now() - start;
  if (out.status !== 0) throw new Error(`${command}: ${out.stderr}`);
  const [user, system] = HAS_GNU_TIME ? out.stderr.trim().split(/\s+/).slice(-2).map(Number) : [Number.NaN, Number.NaN];
  return { wall, cpu: ((user ?? 0) + (system ?? 0)) * 1000 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 's2r-scan-bench-'));
  const tree = join(work, 'dashcam');
  try {
    const built = await timed(() => buildTree(tree));
    console.log(`built ${FILES} files in ${(built.wall / 1000).toFixed(1)} s under ${tree}`);
    const quoted = `'${tree.replace(/'/g, "'\\''")}'`;
    const find = `find ${quoted} -type f | wc -l`;
    const findStat = `find ${quoted} -type f -printf '%s %T@\\n' | wc -l`;
    if (Number(spawnSync('sh', ['-c', find], { encoding: 'utf8' }).stdout.trim()) !== FILES) throw new Error('find does not see every file');

    let projectNo = 0;
    const index = async (): Promise<{ timing: Timing; service: DatasetService; store: FrameStore; id: number; close: () => void }> => {
      const db = openProjectDatabase(join(work, `project-${projectNo++}.sqlite`));
      const service = new DatasetService(db);
      let id = 0;
      const timing = await timed(async () => {
        const added = service.addDataset({ name: 'bench', role: 'dashcam', root: tree });
        if (added.format !== 'folder') throw new Error(`detected ${added.format}`);
        id = added.id;
        const summary = await service.indexFiles(id, detachedJobContext());
        if (summary.added !== FILES) throw new Error(`indexed ${summary.added} of ${FILES}`);
      });
      return { timing, service, store: new FrameStore(db), id, close: () => (service.dispose(), db.close()) };
    };

    const signal = new AbortController().signal;
    const walk = () => walkTree(tree, { signal, classify: () => 'image', needsStat: () => false });
    const facts: FrameFacts[] = (await walk()).files.map((f, sortKey) => ({
      rel: f.rel,
      size: NOT_STATED,
      mtimeMs: NOT_STATED,
      labelRel: null,
      labelSize: null,
      labelMtimeMs: null,
      sortKey,
      status: 'pending',
    }));
    const listingAlone = async (): Promise<Timing> => {
      const db = openProjectDatabase(join(work, `project-${projectNo++}.sqlite`));
      const store = new FrameStore(db);
      const listing = new FrameListing(db);
      const id = Number(db.prepare("INSERT INTO datasets (name, role, root, format) VALUES ('rows', 'dashcam', ?, 'folder')").run(tree).lastInsertRowid);
      const timing = await timed(() =>
        store.bulk(async () => {
          store.transaction(() => listing.replace(id, listedFrames(facts)));
          store.markScanned(id);
        }),
      );
      db.close();
      return timing;
    };

    // Warm-up, untimed: the page cache holds the tree's folders for both sides from here on.
    shell(find);
    (await index()).close();

    const rows: Record<string, Timing[]> = { find: [], walk: [], listing: [], index: [], checkpoint: [], validate: [], 'find + stat': [], rescan: [] };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const f = shell(find);
      const indexed = await index();
      rows.find!.push(f);
      rows.index!.push(indexed.timing);
      ratios.push(indexed.timing.wall / f.wall);
      rows.checkpoint!.push(await timed(() => indexed.store.checkpoint()));
      rows.validate!.push(
        await timed(async () => {
          const checked = await indexed.service.validateFrames(indexed.id, detachedJobContext());
          if (checked.checked !== FILES) throw new Error(`validated ${checked.checked} of ${FILES}`);
        }),
      );
      rows.walk!.push(await timed(walk));
      rows.listing!.push(await listingAlone());
      rows['find + stat']!.push(shell(findStat));
      rows.rescan!.push(
        await timed(async () => {
          const summary = await indexed.service.indexFiles(indexed.id, detachedJobContext());
          if (summary.unchanged !== FILES) throw new Error(`rescan saw changes: ${JSON.stringify(summary)}`);
        }),
      );
      indexed.close();
      console.log(`round ${round + 1}: find ${f.wall.toFixed(0)} ms, index ${indexed.timing.wall.toFixed(0)} ms, ratio ${ratios[round]!.toFixed(2)}`);
    }

    console.log('');
    const ms = (v: number) => (Number.isNaN(v) ? '   n/a' : v.toFixed(0).padStart(6));
    for (const [name, timings] of Object.entries(rows)) {
      console.log(`${name.padEnd(12)} median wall ${ms(median(timings.map((t) => t.wall)))} ms   median cpu ${ms(median(timings.map((t) => t.cpu)))} ms`);
    }
    const cpu = (name: string) => median(rows[name]!.map((t) => t.cpu));
    const wall = (name: string) => median(rows[name]!.map((t) => t.wall));
    console.log(`\nindex / find: ${median(ratios).toFixed(2)}x wall (median of ${ROUNDS} per-round ratios: ${ratios.map((r) => r.toFixed(2)).join(' ')}), ${cpu('find') > 0 ? `${(cpu('index') / cpu('find')).toFixed(2)}x` : 'n/a (find under the 10 ms resolution of GNU time)'} CPU`);
    console.log(`(index + checkpoint) / find: ${((wall('index') + wall('checkpoint')) / wall('find')).toFixed(2)}x wall; rescan / (find + stat): ${(wall('rescan') / wall('find + stat')).toFixed(2)}x wall`);
    console.log(`whole first scan (index + checkpoint + validate): ${((wall('index') + wall('checkpoint') + wall('validate')) / 1000).toFixed(2)} s`);
    console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
