/**
 * Bad input becomes a per-file issue with a stable code; the scan goes on, good frames
 * are indexed, and rows from earlier scans survive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, ctx, greyPng, openTestProject, openUp, photoPng, put, tempDir, withoutRoot } from './helpers/fixtures';
import { encodePng, paletteOf } from './helpers/pngWrite';

afterAll(cleanupTempDirs);

const W = 8;
const H = 6;
const road = () => greyPng(W, H, new Array(W * H).fill(7));

describe('dataset issues', () => {
  it('records each kind of bad file and keeps indexing the good ones', async () => {
    const root = tempDir('bad-');
    const outside = tempDir('outside-');
    const good = ['0001', '0002', '0003'];
    for (const n of good) {
      put(root, `images/${n}.png`, await photoPng(W, H));
      put(root, `labels/${n}.png`, road());
    }
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'g', role: 'sim', root });
    await service.scan(id, ctx());
    const earlier = service.listFrames(id, { offset: 0, limit: 100 });
    expect(earlier.map((f) => f.status)).toEqual(['ok', 'ok', 'ok']);

    const png = await photoPng(W, H);
    put(root, 'images/empty.png', Buffer.alloc(0));
    put(root, 'labels/empty.png', road());
    put(root, 'images/emptylabel.png', png);
    put(root, 'labels/emptylabel.png', Buffer.alloc(0));
    put(root, 'images/cut.png', png.subarray(0, png.length - 40));
    put(root, 'labels/cut.png', road());
    put(root, 'images/cutlabel.png', png);
    put(root, 'labels/cutlabel.png', road().subarray(0, 60));
    put(root, 'images/wide.png', await photoPng(W + 2, H));
    put(root, 'labels/wide.png', road());
    put(root, 'images/odd.png', png);
    // labelIds 40 and 200 do not exist; 7 is road, 0 unlabeled (a documented void).
    const odd = new Array(W * H).fill(7).map((v, i) => (i < 5 ? 40 : i < 6 ? 200 : i < 10 ? 0 : v));
    put(root, 'labels/odd.png', encodePng({ width: W, height: H, colourType: 3, samples: odd, palette: paletteOf([[0, 0, 0]]) }));
    put(root, 'images/fake.png', 'this is a text file with a png name');
    put(root, 'labels/fake.png', road());
    put(root, 'images/notes.txt', 'not an image');
    put(root, 'images/nolabel.png', png);
    put(root, 'labels/orphan.png', road());
    put(root, 'images/locked.png', png);
    put(root, 'labels/locked.png', road());
    chmodSync(join(root, 'images/locked.png'), 0o000);
    symlinkSync(join(root, 'images'), join(root, 'images', 'loop'));
    symlinkSync('self', join(root, 'images', 'self'));
    symlinkSync(join(outside, 'x.png'), join(root, 'images', 'escape.png'));
    put(outside, 'x.png', png);
    const badName = Buffer.concat([Buffer.from(join(root, 'images', 'frame_')), Buffer.from([0xff, 0xfe]), Buffer.from('.png')]);
    writeFileSync(badName, png);
    put(root, 'images/back\\slash.png', png);
    execFileSync('mkfifo', [join(root, 'images', 'pipe.png')]);
    openUp(root, outside, join(root, 'images'), join(root, 'labels'));

    const result = await withoutRoot(() => service.scan(id, ctx()));
    const issues = service.issues(id);
    const codes = issues.map((i) => [i.relPath, i.code]);
    expect(codes).toEqual(
      [
        ['images/cut.png', 'truncated'],
        ['images/cutlabel.png', 'truncated'],
        ['images/empty.png', 'empty'],
        ['images/emptylabel.png', 'empty'],
        ['images/escape.png', 'outside_root'],
        ['images/fake.png', 'not_an_image'],
        ['images/back\\slash.png', 'bad_name'],
        ['images/frame_\uFFFD\uFFFD.png', 'bad_name'],
        ['images/locked.png', 'unreadable'],
        ['images/loop', 'symlink_loop'],
        ['images/nolabel.png', 'missing_label'],
        ['images/notes.txt', 'not_an_image'],
        ['images/odd.png', 'unknown_label_values'],
        ['images/pipe.png', 'unreadable'],
        ['images/self', 'symlink_loop'],
        ['images/wide.png', 'size_mismatch'],
        ['labels/orphan.png', 'missing_image'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)),
    );
    const message = (rel: string) => issues.find((i) => i.relPath === rel)!.message;
    expect(message('images/frame_\uFFFD\uFFFD.png')).toContain('frame_%FF%FE.png');
    expect(message('images/odd.png')).toMatch(/40 \(5 px\), 200 \(1 px\)/);
    expect(message('images/odd.png')).not.toMatch(/\b0 \(/);
    expect(message('images/wide.png')).toContain('labels/wide.png is 8x6, the image is 10x6');
    expect(message('images/cutlabel.png')).toContain('labels/cutlabel.png');
    for (const i of issues) expect(i.message.startsWith(i.relPath)).toBe(true);

    const frames = new Map(service.listFrames(id, { offset: 0, limit: 100 }).map((f) => [f.relPath, f]));
    // Earlier rows survive untouched.
    for (const f of earlier) expect(frames.get(f.relPath)).toEqual(f);
    expect(Object.fromEntries([...frames].map(([rel, f]) => [rel, f.status]))).toEqual({
      'images/0001.png': 'ok',
      'images/0002.png': 'ok',
      'images/0003.png': 'ok',
      'images/cut.png': 'bad_image',
      'images/cutlabel.png': 'bad_label',
      'images/empty.png': 'bad_image',
      'images/emptylabel.png': 'bad_label',
      'images/fake.png': 'bad_image',
      'images/locked.png': 'bad_image',
      'images/nolabel.png': 'ok',
      'images/odd.png': 'ok',
      'images/wide.png': 'bad_label',
    });
    // Unknown values read as ignore, the rest as classes.
    const odd8 = (await service.labelTrainIds(frames.get('images/odd.png')!.id)).data;
    expect(Array.from(odd8.subarray(0, 12))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0]);
    expect(result.index.frames).toBe(12);
    project.close();
  });

  it('replaces issues as files are fixed, and forgets those of deleted files', async () => {
    const root = tempDir('fix-');
    put(root, 'images/a.png', await photoPng(W, H));
    put(root, 'images/b.png', await photoPng(W, H));
    put(root, 'labels/b.png', road());
    put(root, 'images/readme.md', '#');
    const project = openTestProject();
    const { service } = project;
    const { id } = service.addDataset({ name: 'g', role: 'sim', root });
    await service.scan(id, ctx());
    expect(service.issues(id).map((i) => i.code).sort()).toEqual(['missing_label', 'not_an_image']);
    put(root, 'labels/a.png', road());
    // Outside images/ and labels/ a side file is none of the dataset's business.
    renameSync(join(root, 'images', 'readme.md'), join(root, 'readme.md'));
    await service.scan(id, ctx());
    expect(service.issues(id)).toEqual([]);
    project.close();
  });
});
