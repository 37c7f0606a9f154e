/**
 * Crash safety: the backend, in a child process, is SIGKILLed at seeded random points while it
 * scans, infers and labels (20 kills), then started again. After every kill the database passes
 * PRAGMA integrity_check, every row committed before (as the child reported it, and as the last
 * snapshot saw it) is still there and unchanged, and the files rows point to are whole; after
 * the last restart the jobs finish. Replay with S2R_CRASH_SEED=<seed>.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../../../common/metrics/rng';
import { DatasetService } from '../../../main/datasets/datasetService';
import { LabelService } from '../../../main/labels/labelService';
import { SettingsStore } from '../../../main/services/settingsStore';
import { makeTempDir } from '../../helpers/tempDir';
import { roadLabel, W, H } from '../../reliability/corpus';
import { prepareChild, startChild, type Phase } from '../../reliability/crashRunner';
import { integrityCheck } from '../../reliability/harness';
import { photoPng, put } from '../datasets/helpers/fixtures';
import { addDataset, makeServices, model, openTestProject } from '../inference/helpers';

const SEED = Number(process.env.S2R_CRASH_SEED ?? 11);
const KILLS: Record<Phase, number> = { scan: 7, infer: 7, label: 6 };
// Validation checks a small frame in well under a millisecond on worker threads and the child
// reports commits every 10 ms, so the scan needs thousands of frames for its last kills to land
// mid-scan rather than race the end (with 1500, the seventh kill came after the last commit).
const SCAN_FRAMES = 6000;
const INFER_FRAMES = 120;
const SPOTS = 300;

type Snapshot = Map<string, string>;

/** What must survive, by key; a value that changes counts as lost too (committed rows are never rewritten). */
function snapshot(phase: Phase, dir: string): { rows: Snapshot; masks: Snapshot; total: number } {
  const db = new Database(join(dir, 'project.sqlite'), { readonly: true });
  try {
    const map = (sql: string, key: (r: Record<string, unknown>) => string) =>
      new Map((db.prepare(sql).all() as Record<string, unknown>[]).map((r) => [key(r), JSON.stringify(r)]));
    const rows =
      phase === 'scan'
        ? map("SELECT id, rel_path, status, width, height, class_histogram, size_bytes, mtime_ms FROM frames WHERE status != 'pending'", (r) => String(r.id))
        : phase === 'infer'
          ? map('SELECT frame_id, model_id, mask_path, confidence_path, class_histogram, created_at FROM predictions', (r) => `${r.frame_id}:${r.model_id}`)
          : map('SELECT id, train_id, answered_at FROM label_spots WHERE answered_at IS NOT NULL', (r) => String(r.id));
    const masks = map('SELECT frame_id, mask_path FROM label_masks', (r) => String(r.frame_id));
    return { rows, masks, total: rows.size };
  } finally {
    db.close();
  }
}

/** A PNG that ends in IEND: written whole (write, then rename), never cut off by the kill. */
function wholePng(path: string): boolean {
  const bytes = readFileSync(path);
  return bytes.subarray(1, 4).toString('latin1') === 'PNG' && bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1') === 'IEND';
}

describe(`crash safety (seed ${SEED})`, () => {
  const tmp = makeTempDir('s2r-crash-');
  const home = join(tmp.path, 'home');
  const projects: Record<Phase, string> = { scan: join(tmp.path, 'scan'), infer: join(tmp.path, 'infer'), label: join(tmp.path, 'label') };
  let command: string[];
  const figures = { kills: 0, lost: 0, checked: 0, at: {} as Record<string, number[]> };
  const totals: Record<Phase, number> = { scan: SCAN_FRAMES, infer: INFER_FRAMES * 2, label: SPOTS };

  beforeAll(async () => {
    command = await prepareChild();
    // CPU only, as in every test: probing the other providers tells this one nothing.
    new SettingsStore(join(home, 'app')).set('inference', { pinnedProvider: 'cpu' });

    const scan = openTestProject(projects.scan);
    const root = join(tmp.path, 'sim');
    const [image, road] = [await photoPng(W, H), roadLabel()];
    for (let i = 0; i < SCAN_FRAMES; i++) {
      put(root, `images/${i}.png`, image);
      put(root, `labels/${i}.png`, road);
    }
    new DatasetService(scan.db).addDataset({ name: 'sim', role: 'sim', root });
    scan.db.close();

    const infer = openTestProject(projects.infer);
    await addDataset(infer.db, join(tmp.path, 'frames'), INFER_FRAMES, { width: 128, height: 64 });
    const svc = makeServices(infer, join(home, 'app'));
    for (const name of ['tiny_seg.onnx', 'tiny_seg_b.onnx']) await svc.models.import({ path: model(name) });
    await svc.models.dispose();
    infer.db.close();

    const label = openTestProject(projects.label);
    await addDataset(label.db, join(tmp.path, 'spots'), 40, { width: W, height: H });
    // Two draws of one pixel make one spot, so fewer than SPOTS may be added.
    totals.label = (await new LabelService(label.db, label.cacheDir).sample({ datasetId: 1, count: SPOTS, seed: SEED, sampler: 'uniform' })).added;
    label.db.close();
  }, 120_000);
  afterAll(() => {
    const at = Object.entries(figures.at).map(([phase, n]) => `${phase} after ${n.join(', ')}`).join('; ');
    console.log(`crash safety, seed ${SEED}: ${figures.kills} kills survived (${at} committed rows), ${figures.checked} row checks, ${figures.lost} rows lost`);
    tmp.cleanup();
  });

  for (const phase of ['scan', 'infer', 'label'] as const) {
    it(`${phase}: ${KILLS[phase]} kills at random points, then the work resumes and finishes`, async () => {
      const rng = new SeededRng(SEED * 31 + phase.length);
      const dir = projects[phase];
      let last = snapshot(phase, dir);
      for (let k = 0; k < KILLS[phase]; k++) {
        const child = startChild(command, home, dir, phase);
        await child.ready;
        // The kills to come each get a share of what is left, so none finds the work done.
        const share = Math.max(1, Math.floor((totals[phase] - last.total) / (KILLS[phase] - k + 1)));
        const killAt = (target: number, delay: number) => {
          let armed = false;
          child.onCommitted((n) => {
            if (n >= target && !armed) {
              armed = true;
              setTimeout(child.kill, delay);
            }
          });
        };
        if (rng.next() < 0.4) {
          // Anywhere: start-up, listing, the first batch; on a fast machine the share's end
          // comes first, and the kill with it.
          setTimeout(child.kill, rng.below(250));
          killAt(last.total + share, 0);
        } else {
          // Somewhere in this share, between two commits.
          killAt(last.total + 1 + rng.below(share), rng.below(15));
        }
        const exit = await child.exit;
        expect(exit.signal, `kill ${k}: the child finished first (exit ${exit.code}) ${child.stderr()}`).toBe('SIGKILL');
        figures.kills++;

        expect(integrityCheck(join(dir, 'project.sqlite')), `kill ${k}`).toBe('ok');
        const now = snapshot(phase, dir);
        // Every row committed before this kill is still there, unchanged.
        const lost = [...last.rows].filter(([key, value]) => now.rows.get(key) !== value).map(([key]) => key);
        lost.push(...[...last.masks.keys()].filter((key) => !now.masks.has(key)));
        // Every commit the child reported is on disk.
        if (now.total < child.committed) lost.push(`${child.committed - now.total} reported rows`);
        lost.push(...child.answered.filter((id) => !now.rows.has(String(id))).map((id) => `spot ${id}`));
        lost.push(...child.masks.filter((id) => !now.masks.has(String(id))).map((id) => `mask ${id}`));
        figures.lost += lost.length;
        figures.checked += last.rows.size + last.masks.size;
        expect(lost, `kill ${k}`).toEqual([]);
        for (const path of wholeFiles(phase, dir)) expect(wholePng(path), path).toBe(true);
        (figures.at[phase] ??= []).push(now.total);
        last = now;
      }

      const final = startChild(command, home, dir, phase);
      const exit = await final.exit;
      expect(exit.code, final.stderr()).toBe(0);
      expect(final.done).toBe(true);
      const end = snapshot(phase, dir);
      expect(end.total).toBe(totals[phase]);
      for (const [key, value] of last.rows) expect(end.rows.get(key), key).toBe(value);
      const db = new Database(join(dir, 'project.sqlite'), { readonly: true });
      try {
        const jobs = db.prepare('SELECT kind, status FROM jobs').all();
        if (phase === 'scan') expect(jobs).toEqual([{ kind: 'scan', status: 'done' }]);
        if (phase === 'infer') {
          expect(jobs).toEqual([{ kind: 'inference', status: 'done' }]);
          expect(db.prepare('SELECT status FROM runs').pluck().all()).toEqual(['done']);
        }
        if (phase === 'scan') expect(db.prepare("SELECT count(*) FROM frames WHERE status = 'ok'").pluck().get()).toBe(SCAN_FRAMES);
      } finally {
        db.close();
      }
    }, 120_000);
  }
});

/** Files the committed rows point to: prediction masks and maps, saved label masks. */
function wholeFiles(phase: Phase, dir: string): string[] {
  if (phase === 'scan') return [];
  const db = new Database(join(dir, 'project.sqlite'), { readonly: true });
  try {
    const sql = phase === 'infer' ? 'SELECT mask_path FROM predictions UNION ALL SELECT confidence_path FROM predictions' : 'SELECT mask_path FROM label_masks';
    return (db.prepare(sql).pluck().all() as string[]).map((rel) => join(dir, 'cache', rel));
  } finally {
    db.close();
  }
}
