/**
 * Every case of the bad-input corpus (tests/reliability/corpus.ts) goes through the backend as
 * the app builds it: a clear error naming the file and the cause, the app still answering, and
 * every row stored before still there.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUES_SHOWN, type AppEvent, type DatasetIssue, type DatasetSummary, type JobSummary, type ProjectSummary } from '../../../common/contract';
import sharp from 'sharp';
import { decodeFrame } from '../../../main/inference/preprocess';
import { makeTempDir } from '../../helpers/tempDir';
import { FILE_CASES, REQUEST_CASES } from '../../reliability/corpus';
import { expectTypedError, integrityCheck, keptRows, seedProject, startHarness, type Harness } from '../../reliability/harness';
import { openUp, withoutRoot } from '../datasets/helpers/fixtures';

// Root reads every file whatever its mode; dropping to nobody (seteuid) is how root sees EACCES.
const permissionsHold = process.getuid?.() !== 0 || typeof process.seteuid === 'function';

describe('the bad-input corpus', () => {
  const tmp = makeTempDir('s2r-corpus-');
  const errors: string[] = [];
  let h: Harness;
  let before: Record<string, unknown[]>;
  let off: () => void;

  beforeAll(async () => {
    openUp(tmp.path);
    h = await startHarness(join(tmp.path, 'home'));
    off = h.backend.events.subscribe((e: AppEvent) => {
      if (e.type === 'log' && e.level === 'error') errors.push(e.message);
    });
    await seedProject(h, join(tmp.path, 'projects'));
    before = keptRows(h.db());
  });
  afterAll(() => {
    off?.();
    h?.dispose();
    // Give back what the cases locked, or the cleanup (not root everywhere) cannot remove it.
    for (const rel of ['bad/images/locked.png', 'bad/labels/lockedlabel.png', 'bad/images/sealed', 'requests/locked.onnx', 'requests/sealed.s2r/project.sqlite']) {
      if (existsSync(join(tmp.path, rel))) chmodSync(join(tmp.path, rel), 0o755);
    }
    // rm walks with openat; Node's rmSync names whole paths, and the corpus nests past PATH_MAX.
    execFileSync('rm', ['-rf', tmp.path]);
  });

  it('holds at least 30 bad inputs across datasets, models and projects', () => {
    expect(FILE_CASES.length + REQUEST_CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(REQUEST_CASES.map((c) => c.area))).toEqual(new Set(['dataset', 'model', 'project']));
    const ids = [...FILE_CASES, ...REQUEST_CASES].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a scan over every bad file records one issue per file, naming it and the cause, and finishes', async () => {
    const root = join(tmp.path, 'bad');
    mkdirSync(join(root, 'images'), { recursive: true });
    mkdirSync(join(root, 'labels'), { recursive: true });
    for (const c of FILE_CASES) await c.build(root);
    openUp(root, join(root, 'images'), join(root, 'labels'));
    const datasetId = await withoutRoot(async () => {
      const { dataset } = await h.ok<{ dataset: { id: number } }>('dataset:add', { name: 'bad', role: 'sim', root });
      await h.idle();
      return dataset.id;
    });
    const job = (await h.ok<JobSummary[]>('jobs:list')).find((j) => j.title === 'Scan bad')!;
    expect(job, 'the scan job').toMatchObject({ status: 'done', error: null });
    const issues = await h.ok<DatasetIssue[]>('dataset:issues', { datasetId });
    for (const c of FILE_CASES) {
      if (c.needsPermissions && !permissionsHold) continue;
      const found = issues.find((i) => i.code === c.code && (typeof c.relPath === 'string' ? i.relPath === c.relPath : c.relPath.test(i.relPath)));
      expect(found, `${c.id}: no ${c.code} issue for ${String(c.relPath)}; got ${JSON.stringify(issues.filter((i) => String(i.relPath).includes(String(c.relPath).slice(7, 20))))}`).toBeDefined();
      expect(found!.message.startsWith(`${found!.relPath}: `), `${c.id} names the file`).toBe(true);
      expect(found!.message, c.id).toMatch(c.cause);
    }
  });

  it('lists the first ISSUES_SHOWN issues of a folder with more, and counts them all', async () => {
    const root = join(tmp.path, 'notes');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'frame.png'), Buffer.from(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#404040' } }).png().toBuffer()));
    for (let i = 0; i < ISSUES_SHOWN + 20; i++) writeFileSync(join(root, `note_${String(i).padStart(4, '0')}.txt`), 'x');
    const { dataset } = await h.ok<{ dataset: { id: number } }>('dataset:add', { name: 'notes', role: 'dashcam', root });
    await h.idle();
    const issues = await h.ok<DatasetIssue[]>('dataset:issues', { datasetId: dataset.id });
    expect(issues).toHaveLength(ISSUES_SHOWN);
    expect(issues[0]).toMatchObject({ relPath: 'note_0000.txt', code: 'not_an_image' });
    const summary = (await h.ok<DatasetSummary[]>('dataset:list')).find((d) => d.id === dataset.id);
    expect(summary).toMatchObject({ frameCount: 1, pendingCount: 0, issueCount: ISSUES_SHOWN + 20 });
  });

  it('thumbnails, label media and inference preprocessing refuse a bomb from its header', async () => {
    const bomb = (rel: string) => h.db().prepare("SELECT id FROM frames WHERE rel_path = ? AND status != 'ok'").pluck().get(rel) as number;
    for (const rel of ['images/bomb.png', 'images/bomb16k.jpg']) {
      await expect(h.backend.media.get(`frame/${bomb(rel)}/thumb`), rel).rejects.toThrow(new RegExp(`${rel}: no thumbnail, the image does not decode \\(Input image exceeds pixel limit\\)`));
      await expect(decodeFrame(join(tmp.path, 'bad', rel), 64, 128), rel).rejects.toThrow(/\d+x\d+ is \d+ megapixels, more than the 67 megapixels this app decodes/);
    }
    await expect(h.backend.media.get(`frame/${bomb('images/labelbomb.png')}/label`)).rejects.toThrow(/labelbomb\.png|100000x100000/);
    // A frame that vanished after its scan, and one that is not an image, are named with the cause.
    const gone = join(tmp.path, 'bad', 'images', 'gone.jpg');
    await expect(decodeFrame(gone, 64, 128)).rejects.toThrow(`${gone}: cannot be read (ENOENT)`);
    const notes = join(tmp.path, 'not-an-image.jpg');
    writeFileSync(notes, 'just text');
    await expect(decodeFrame(notes, 64, 128)).rejects.toThrow(`${notes}: not a readable image`);
  });

  it('each bad dataset folder, model and project is refused with a typed error naming it', async () => {
    const dir = join(tmp.path, 'requests');
    mkdirSync(dir);
    openUp(dir);
    for (const c of REQUEST_CASES) {
      if (c.needsPermissions && !permissionsHold) continue;
      const { channel, payload } = await c.build(dir);
      const result = c.needsPermissions ? await withoutRoot(() => h.call(channel, payload)) : await h.call(channel, payload);
      const error = expectTypedError(result, c.id);
      expect(error.code, `${c.id}: ${error.message}`).toBe(c.code);
      expect(error.message, c.id).toMatch(c.cause);
      // The project that was open before stays open.
      expect((await h.ok<ProjectSummary>('project:current')).name, c.id).toBe('Kept');
    }
  });

  it('afterwards the app still answers, logged no internal error, and lost no row stored before', async () => {
    expect(await h.ok('app:info')).toMatchObject({ transport: 'web' });
    expect(errors).toEqual([]);
    const after = keptRows(h.db());
    for (const [table, rows] of Object.entries(before)) {
      for (const row of rows) expect(after[table], `${table} keeps ${JSON.stringify(row)}`).toContainEqual(row);
    }
    expect(integrityCheck(join(h.backend.projects.require().dir, 'project.sqlite'))).toBe('ok');
    const frame = (before.masks![0] as { frame_id: number }).frame_id;
    expect(await h.ok('labels:mask', { frameId: frame })).toMatchObject({ width: 8, height: 6 });
  });
});
