/** Incremental indexing: what a rescan touches, what it leaves alone, and resuming after a cancel. */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProjectDatabase } from '../../../main/db/projectDatabase';
import { DatasetService } from '../../../main/datasets/datasetService';
import { CancelledError, detachedJobContext, type JobContext } from '../../../main/jobs/jobContext';
import { cleanupTempDirs, ctx, greyPng, openTestProject, openUp, photoJpeg, photoPng, put, tempDir, withoutRoot } from './helpers/fixtures';

afterAll(cleanupTempDirs);

function cancellingAt(when: (done: number, note: string | undefined) => boolean): JobContext & { controller: AbortController } {
  const controller = new AbortController();
  return {
    controller,
    signal: controller.signal,
    progress: (done, _total, note) => {
      if (when(done, note)) controller.abort();
    },
    log: () => {},
  };
}

describe('incremental scan', () => {
  it('re-reads only what changed: modified, touched, deleted, added and relabelled files', async () => {
    const root = tempDir('gta5-inc-');
    for (const n of [1, 2, 4, 5, 6]) {
      put(root, `images/${n}.png`, await photoPng(8, 6));
      put(root, `labels/${n}.png`, greyPng(8, 6, new Array(48).fill(7)));
    }
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'g', role: 'sim', root });
    const labelsCountedBeforeRows = () => expect(service.summary(id)).toMatchObject({ frameCount: 5, labelledCount: 5, pendingCount: 5 });
    const first = await service.scan(id, ctx(), { onIndexed: labelsCountedBeforeRows });
    expect(first.index).toMatchObject({ frames: 5, added: 5, updated: 0, removed: 0, unchanged: 0 });
    expect(first.validation).toMatchObject({ checked: 5, ok: 5 });
    const before = new Map(service.listFrames(id, { offset: 0, limit: 100 }).map((f) => [f.relPath, f]));

    // Nothing changed: nothing is written or read again.
    const idle = await service.scan(id, ctx());
    expect(idle.index).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 5 });
    expect(idle.validation).toMatchObject({ checked: 0 });

    // Garbage of the same size with the old mtime is not noticed: proof the file is not re-read.
    const img5 = join(root, 'images/5.png');
    const st = statSync(img5);
    writeFileSync(img5, Buffer.alloc(st.size, 0x41));
    utimesSync(img5, st.atime, st.mtime);
    put(root, 'images/2.png', await photoPng(9, 6)); // modified: new size
    const img4 = join(root, 'images/4.png');
    utimesSync(img4, new Date(), new Date(Date.now() + 5000)); // touched only
    rmSync(join(root, 'images/6.png'));
    rmSync(join(root, 'labels/6.png'));
    put(root, 'images/3.png', await photoPng(8, 6)); // new, sorts between 2 and 4
    put(root, 'labels/3.png', greyPng(8, 6, new Array(48).fill(26)));
    put(root, 'labels/1.png', greyPng(8, 6, new Array(48).fill(23))); // relabelled (same image)

    const second = await service.scan(id, ctx());
    expect(second.index).toMatchObject({ frames: 5, added: 1, updated: 3, removed: 1, unchanged: 1 });
    // 1 (label), 2, 3, 4 validated again; 2 is now 9 wide, so its old label no longer fits.
    expect(second.validation).toMatchObject({ checked: 4, ok: 3, badLabels: 1 });
    const after = service.listFrames(id, { offset: 0, limit: 100 });
    expect(after.map((f) => f.relPath)).toEqual(['images/1.png', 'images/2.png', 'images/3.png', 'images/4.png', 'images/5.png']);
    const byRel = new Map(after.map((f) => [f.relPath, f]));
    for (const rel of ['images/1.png', 'images/2.png', 'images/4.png', 'images/5.png']) expect(byRel.get(rel)!.id).toBe(before.get(rel)!.id);
    expect(byRel.get('images/5.png')!.status).toBe('ok'); // not re-read: the garbage went unnoticed
    expect(byRel.get('images/5.png')!.sortKey).toBe(4); // moved along by the new frame 3, without a re-read
    expect(byRel.get('images/1.png')!.classHistogram![10]).toBe(48); // sky now
    expect(byRel.get('images/2.png')!.width).toBe(9);
    expect(service.issues(id).map((i) => [i.relPath, i.code])).toEqual([['images/2.png', 'size_mismatch']]);
    expect(service.classHistogram(id)[13]).toBe(48); // the new frame's cars

    // Fixing the label clears its issue on the next scan.
    put(root, 'labels/2.png', greyPng(9, 6, new Array(54).fill(7)));
    await service.scan(id, ctx());
    expect(service.issues(id)).toEqual([]);
    project.close();
  });

  it('keeps what a cancelled index or validation committed and finishes the rest on the next scan', async () => {
    const root = tempDir('many-');
    for (let s = 0; s < 3; s++) {
      mkdirSync(join(root, `seq${s}`));
      for (let f = 0; f < 700; f++) writeFileSync(join(root, `seq${s}/frame_${f}.jpg`), 'x');
    }
    const project = openTestProject();
    const { service, db } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root, format: 'folder' });
    // Cancelled while listing: nothing half-written.
    await expect(service.indexFiles(id, cancellingAt((done, note) => note === 'listing files' && done > 0))).rejects.toBeInstanceOf(CancelledError);
    expect(service.summary(id)).toMatchObject({ frameCount: 0, pendingCount: 0 });
    expect(await service.indexFiles(id, ctx())).toMatchObject({ frames: 2100, added: 2100 });
    expect(service.summary(id)).toMatchObject({ frameCount: 2100, pendingCount: 2100 });
    // Validation cancelled part way: the frames it settled have their rows, the rest still wait.
    await expect(service.validateFrames(id, cancellingAt((done, note) => note === 'validating' && done >= 700))).rejects.toBeInstanceOf(CancelledError);
    const rows = db.prepare('SELECT count(*) FROM frames WHERE dataset_id = ?').pluck().get(id) as number;
    expect(rows).toBeGreaterThanOrEqual(700);
    expect(rows).toBeLessThan(2100);
    expect(service.summary(id)).toMatchObject({ frameCount: 2100, pendingCount: 2100 - rows });
    // A rescan in between sees every frame again, settled or waiting, as unchanged.
    expect(await service.indexFiles(id, ctx())).toMatchObject({ frames: 2100, added: 0, updated: 0, removed: 0, unchanged: 2100 });
    expect(await service.validateFrames(id, ctx())).toMatchObject({ checked: 2100 - rows, badImages: 2100 - rows });
    expect(service.summary(id)).toMatchObject({ frameCount: 2100, pendingCount: 0 });
    const page = service.framePage(id, 698, 4);
    expect(page.total).toBe(2100);
    expect(page.frames.map((f) => f.relPath)).toEqual(['seq0/frame_698.jpg', 'seq0/frame_699.jpg', 'seq1/frame_0.jpg', 'seq1/frame_1.jpg']);
    // Rows were written in sort order across the interruption: ids follow it.
    const ids = service.listFrames(id, { offset: 0, limit: 10000 }).map((f) => f.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    project.close();
  });

  it('keeps the walk order and every name byte for byte through the listing, which survives a reopen', async () => {
    // Folders and files interleave (the walk lists folders ahead of time), runs are long enough
    // for the one-JSON-array insert, and names carry quotes, a newline, accents and an emoji.
    const root = tempDir('order-');
    const odd = ['say "hi" 1.jpg', 'line\nbreak 2.jpg', 'crème brûlée 3.jpg', 'car 🚗 4.jpg'];
    const expected: string[] = ['a.jpg'];
    for (let f = 1; f <= 120; f++) expected.push(`b/deep/frame_${f}.jpg`);
    for (let f = 1; f <= 150; f++) expected.push(`b/frame_${f}.jpg`);
    expected.push('c.jpg');
    for (let s = 1; s <= 12; s++) for (let f = 1; f <= 10; f++) expected.push(`d/seq${s}/${f}.png`);
    for (const rel of expected) put(root, rel, 'x');
    for (const name of odd) put(root, `b/${name}`, 'x');
    const project = openTestProject();
    const { id } = project.service.addDataset({ name: 'f', role: 'dashcam', root, format: 'folder' });
    expect(await project.service.indexFiles(id, ctx())).toMatchObject({ added: expected.length + odd.length });
    // The index leaves its pages in the WAL (validation checkpoints): committed all the same.
    project.close();
    const db = openProjectDatabase(join(project.dir, 'project.sqlite'));
    const reopened = new DatasetService(db);
    expect(reopened.getDataset(id).scannedAt).not.toBeNull();
    expect(reopened.summary(id)).toMatchObject({ frameCount: expected.length + odd.length, pendingCount: expected.length + odd.length });
    await reopened.validateFrames(id, ctx());
    const rels = reopened.framePage(id, 0, 10000).frames.map((f) => f.relPath);
    expect(rels.filter((r) => !odd.some((o) => r === `b/${o}`))).toEqual(expected);
    expect(new Set(rels)).toEqual(new Set([...expected, ...odd.map((o) => `b/${o}`)]));
    db.close();
  });

  it('has every frame counted, waiting, when the index phase hands over to validation, which gives each its row', async () => {
    const root = tempDir('phases-');
    for (let f = 0; f < 5; f++) put(root, `frame_${f}.jpg`, await photoJpeg(4, 4));
    put(root, 'frame_9.jpg', 'not a jpeg');
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root });
    const notes: string[] = [];
    let atHandover: { frames: number; pending: number; rows: number } | null = null;
    const result = await service.scan(id, detachedJobContext((_done, _total, note) => notes.push(note ?? '')), {
      onIndexed: () => {
        const { frameCount, pendingCount } = service.summary(id);
        atHandover = { frames: frameCount, pending: pendingCount, rows: service.listFrames(id, { offset: 0, limit: 100 }).length };
      },
    });
    expect(atHandover).toEqual({ frames: 6, pending: 6, rows: 0 });
    expect(service.listFrames(id, { offset: 0, limit: 100 }).map((f) => [f.relPath, f.status, f.sortKey])).toEqual([
      ['frame_0.jpg', 'ok', 0],
      ['frame_1.jpg', 'ok', 1],
      ['frame_2.jpg', 'ok', 2],
      ['frame_3.jpg', 'ok', 3],
      ['frame_4.jpg', 'ok', 4],
      ['frame_9.jpg', 'bad_image', 5],
    ]);
    expect([...new Set(notes)]).toEqual(['listing files', 'indexing', 'validating']);
    expect(result.validation).toMatchObject({ checked: 6, ok: 5, badImages: 1 });
    project.close();
  });

  it('resumes an interrupted validation where it stopped', async () => {
    const root = tempDir('val-');
    const jpeg = await photoJpeg(4, 4);
    for (let f = 0; f < 600; f++) put(root, `frame_${f}.jpg`, jpeg);
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root });
    await service.indexFiles(id, ctx());
    const stop = cancellingAt((done, note) => note === 'validating' && done > 0);
    await expect(service.validateFrames(id, stop)).rejects.toBeInstanceOf(CancelledError);
    const pendingAfterCancel = service.summary(id).pendingCount;
    expect(service.listFrames(id, { offset: 0, limit: 1000 })).toHaveLength(600 - pendingAfterCancel);
    expect(pendingAfterCancel).toBeGreaterThan(0);
    expect(pendingAfterCancel).toBeLessThan(600);
    const rest = await service.validateFrames(id, ctx());
    expect(rest.checked).toBe(pendingAfterCancel);
    expect(service.listFrames(id, { offset: 0, limit: 1000 }).every((f) => f.status === 'ok' && f.width === 4)).toBe(true);
    project.close();
  });

  it('refuses a second scan of the same dataset while one runs', async () => {
    const root = tempDir('busy-');
    put(root, 'frame_1.jpg', 'x');
    const project = openTestProject();
    const { id } = project.service.addDataset({ name: 'f', role: 'dashcam', root, format: 'folder' });
    const running = project.service.indexFiles(id, ctx());
    await expect(project.service.indexFiles(id, ctx())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await running;
    project.close();
  });

  it('keeps frames under a folder that cannot be listed, and the rest of the dataset', async () => {
    const root = tempDir('perm-');
    for (const seq of ['a', 'b']) for (let f = 0; f < 3; f++) put(root, `${seq}/frame_${f}.jpg`, await photoJpeg(4, 4));
    openUp(root, join(root, 'a'), join(root, 'b'));
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root });
    await service.scan(id, ctx());
    chmodSync(join(root, 'b'), 0o000);
    put(root, 'a/frame_9.jpg', await photoJpeg(4, 4));
    const again = await withoutRoot(() => service.indexFiles(id, ctx()));
    chmodSync(join(root, 'b'), 0o755);
    expect(again).toMatchObject({ added: 1, removed: 0 });
    expect(service.summary(id)).toMatchObject({ frameCount: 7, pendingCount: 1 });
    expect(service.issues(id).map((i) => [i.relPath, i.code])).toEqual([['b', 'unreadable']]);
    // Readable again: the issue goes, nothing was lost.
    await service.indexFiles(id, ctx());
    expect(service.issues(id)).toEqual([]);
    renameSync(join(root, 'b'), join(root, 'c'));
    expect((await service.indexFiles(id, ctx())).removed).toBe(3);
    project.close();
  });
  it('keeps waiting frames under a folder that cannot be listed and drops the ones that vanished', async () => {
    const root = tempDir('wait-');
    for (const seq of ['a', 'b']) for (let f = 0; f < 3; f++) put(root, `${seq}/frame_${f}.jpg`, await photoJpeg(4, 4));
    openUp(root, join(root, 'a'), join(root, 'b'));
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root });
    await service.indexFiles(id, ctx());
    chmodSync(join(root, 'b'), 0o000);
    rmSync(join(root, 'a/frame_0.jpg'));
    const again = await withoutRoot(() => service.indexFiles(id, ctx()));
    chmodSync(join(root, 'b'), 0o755);
    expect(again).toMatchObject({ frames: 5, added: 0, removed: 1, unchanged: 2 });
    expect(service.summary(id)).toMatchObject({ frameCount: 5, pendingCount: 5 });
    expect(await service.validateFrames(id, ctx())).toMatchObject({ checked: 5, ok: 5 });
    expect(service.listFrames(id, { offset: 0, limit: 100 }).map((f) => f.relPath)).toEqual([
      'a/frame_1.jpg',
      'a/frame_2.jpg',
      'b/frame_0.jpg',
      'b/frame_1.jpg',
      'b/frame_2.jpg',
    ]);
    project.close();
  });
  it('validates a listed path that already has a row in place, keeping its id', async () => {
    const root = tempDir('dup-');
    put(root, 'frame_1.jpg', await photoJpeg(4, 4));
    const project = openTestProject();
    const { service, db } = project;
    const { id } = service.addDataset({ name: 'f', role: 'dashcam', root });
    await service.scan(id, ctx());
    const [before] = service.listFrames(id, { offset: 0, limit: 10 });
    db.prepare("INSERT INTO frame_listing (dataset_id, first_sort_key, rels, count, labelled_left) VALUES (?, 5, '[\"frame_1.jpg\"]', 1, 0)").run(id);
    expect(await service.validateFrames(id, ctx())).toMatchObject({ checked: 1, ok: 1 });
    expect(service.listFrames(id, { offset: 0, limit: 10 })).toEqual([{ ...before, sortKey: 5 }]);
    expect(service.summary(id).pendingCount).toBe(0);
    project.close();
  });
});
