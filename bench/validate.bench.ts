/**
 * The validation pass (a scan's second phase) against what it cannot avoid, in the same run:
 *   read + inflate  every label file read and its pixel data inflated (zlib, this thread), and
 *                   every image's first 4 KiB read: the I/O and decompression validation needs
 *   validate        DatasetService.validateFrames on the dataset just indexed into a fresh
 *                   project: header reads on the worker, labels decoded and counted, rows written
 * Rounds alternate the two (warm cache after an untimed first pass) and the bench prints medians
 * and RATIO validate / (read + inflate); below 1 means the pass overlaps its work on both cores.
 *
 *   npx tsx bench/validate.bench.ts          (native-models/data/sim when generated, else fixtures/demo/sim)
 *   BENCH_DATASET=DIR BENCH_ROUNDS=5 npx tsx bench/validate.bench.ts
 * It uses only DatasetService's public calls, so it runs unchanged in a worktree of older code
 * (the baseline figures in bench/README.md §4 were taken so).
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { DatasetService } from '../main/datasets/datasetService';
import { openProjectDatabase } from '../main/db/projectDatabase';
import { detachedJobContext } from '../main/jobs/jobContext';
import { median, REPO } from './lib';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const generated = join(REPO, 'native-models', 'data', 'sim');
const DATASET = process.env.BENCH_DATASET ?? (existsSync(generated) ? generated : join(REPO, 'fixtures', 'demo', 'sim'));

/** IDAT payload of a PNG, concatenated (no CRC checks: the baseline is the bare minimum). */
function idat(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let o = 8; o + 8 <= png.length; ) {
    const length = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') parts.push(png.subarray(o + 8, o + 8 + length));
    o += 12 + length;
  }
  return Buffer.concat(parts);
}

function readAndInflate(images: readonly string[], labels: readonly string[]): void {
  const head = Buffer.alloc(4096);
  for (const path of images) {
    const fd = openSync(path, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
  }
  for (const path of labels) inflateSync(idat(readFileSync(path)));
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 's2r-validate-bench-'));
  try {
    let n = 0;
    const freshIndex = async () => {
      const db = openProjectDatabase(join(work, `p${n++}.sqlite`));
      const service = new DatasetService(db);
      const { id, format } = service.addDataset({ name: 'bench', role: 'sim', root: DATASET });
      await service.indexFiles(id, detachedJobContext());
      return { db, service, id, format };
    };
    const first = await freshIndex();
    await first.service.validateFrames(first.id, detachedJobContext());
    const rows = first.db.prepare('SELECT rel_path, label_path FROM frames WHERE dataset_id = ?').all(first.id) as { rel_path: string; label_path: string | null }[];
    const images = rows.map((r) => join(DATASET, r.rel_path));
    const labels = rows.flatMap((r) => (r.label_path ? [join(DATASET, r.label_path)] : []));
    console.log(`${DATASET}: ${first.format}, ${images.length} frames, ${labels.length} labels`);
    first.service.dispose();
    first.db.close();
    readAndInflate(images, labels); // warm-up, untimed

    const baseline: number[] = [];
    const validate: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      readAndInflate(images, labels);
      baseline.push(performance.now() - t);
      const p = await freshIndex();
      t = performance.now();
      const summary = await p.service.validateFrames(p.id, detachedJobContext());
      validate.push(performance.now() - t);
      if (summary.checked !== images.length) throw new Error(`validated ${summary.checked} of ${images.length}`);
      p.service.dispose();
      p.db.close();
      console.log(`round ${round + 1}: read + inflate ${baseline[round]!.toFixed(0)} ms, validate ${validate[round]!.toFixed(0)} ms`);
    }
    const perFrame = (ms: number) => `${((ms * 1000) / images.length).toFixed(0)} µs a frame`;
    console.log(`\nread + inflate median ${median(baseline).toFixed(0)} ms (${perFrame(median(baseline))}); validate median ${median(validate).toFixed(0)} ms (${perFrame(median(validate))})`);
    console.log(`RATIO validate / (read + inflate): ${(median(validate) / median(baseline)).toFixed(2)}`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
