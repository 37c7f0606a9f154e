/**
 * Dashcam frames with held-out Cityscapes ground truth in a separate folder, laid out
 * the way the fixture generator writes it:
 *   DIR/dashcam/frames/seqSSS/frame_FFFFFF.jpg
 *   DIR/dashcam_gt/gtFine/{split}/seqSSS/seqSSS_SSSSSS_FFFFFF_gtFine_labelIds.png
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { realpathSync } from 'node:fs';
import { cleanupTempDirs, ctx, greyPng, openTestProject, pattern, photoJpeg, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

const W = 10;
const H = 6;
const gtName = (seq: number, frame: number, seqField = seq) =>
  `seq${String(seq).padStart(3, '0')}_${String(seqField).padStart(6, '0')}_${String(frame).padStart(6, '0')}_gtFine_labelIds.png`;

async function dashcamFolder() {
  const dir = tempDir('dashcam-');
  for (const seq of [3, 4]) {
    for (const frame of [2, 12, 30]) {
      put(dir, `dashcam/frames/seq${String(seq).padStart(3, '0')}/frame_${String(frame).padStart(6, '0')}.jpg`, await photoJpeg(W, H));
    }
  }
  const labelIds = pattern(W, H, 4).map((i) => [7, 26, 23, 0][i]!);
  const expected = pattern(W, H, 4).map((i) => [0, 13, 10, 255][i]!);
  put(dir, `dashcam_gt/gtFine/val/seq003/${gtName(3, 12)}`, greyPng(W, H, labelIds));
  put(dir, `dashcam_gt/gtFine/test/seq004/${gtName(4, 30)}`, greyPng(W, H, labelIds));
  put(dir, `dashcam_gt/gtFine/val/seq009/${gtName(9, 1)}`, greyPng(W, H, labelIds)); // no such frame
  put(dir, `dashcam_gt/gtFine/val/seq003/seq003_000003_000012_gtFine_color.png`, greyPng(W, H, labelIds));
  return { dir, expected };
}

describe('attached ground truth', () => {
  it('matches frames by sequence folder and frame number, and decodes the labelIds', async () => {
    const { dir, expected } = await dashcamFolder();
    const project = openTestProject();
    const { service } = project;
    const added = service.addDataset({ name: 'dash', role: 'dashcam', root: join(dir, 'dashcam', 'frames') });
    expect(added.format).toBe('folder');
    const attached = service.attachGroundTruth(added.id, join(dir, 'dashcam_gt'));
    expect(attached.gtRoot).toBe(realpathSync(join(dir, 'dashcam_gt')));
    await service.scan(added.id, ctx());
    const frames = service.listFrames(added.id, { offset: 0, limit: 100 });
    expect(frames.map((f) => [f.relPath, f.labelPath])).toEqual([
      ['seq003/frame_000002.jpg', null],
      ['seq003/frame_000012.jpg', `gtFine/val/seq003/${gtName(3, 12)}`],
      ['seq003/frame_000030.jpg', null],
      ['seq004/frame_000002.jpg', null],
      ['seq004/frame_000012.jpg', null],
      ['seq004/frame_000030.jpg', `gtFine/test/seq004/${gtName(4, 30)}`],
    ]);
    const labelled = frames.filter((f) => f.labelPath !== null);
    for (const f of labelled) {
      expect(Array.from((await service.labelTrainIds(f.id)).data)).toEqual(expected);
      expect(service.resolveFramePath(f.id, 'label').startsWith(realpathSync(join(dir, 'dashcam_gt')))).toBe(true);
      expect(f.status).toBe('ok');
    }
    // Held-out truth covers a few frames; only the stray label file is a problem.
    expect(service.issues(added.id).map((i) => [i.relPath, i.code])).toEqual([
      [`../../dashcam_gt/gtFine/val/seq009/${gtName(9, 1)}`, 'missing_image'],
    ]);
    expect(service.summary(added.id)).toMatchObject({ frameCount: 6, labelledCount: 2, issueCount: 1 });
    expect(service.classHistogram(added.id)[13]).toBe(2 * expected.filter((t) => t === 13).length);

    // Detaching removes the labels on the next scan.
    service.attachGroundTruth(added.id, null);
    await service.scan(added.id, ctx());
    expect(service.listFrames(added.id, { offset: 0, limit: 100 }).every((f) => f.labelPath === null)).toBe(true);
    expect(service.issues(added.id)).toEqual([]);
    project.close();
  });

  it('also matches when the dataset root is the dashcam folder above frames/', async () => {
    const { dir } = await dashcamFolder();
    const project = openTestProject();
    const added = project.service.addDataset({ name: 'dash', role: 'dashcam', root: join(dir, 'dashcam') });
    project.service.attachGroundTruth(added.id, join(dir, 'dashcam_gt'));
    await project.service.scan(added.id, ctx());
    const labelled = project.service.listFrames(added.id, { offset: 0, limit: 100 }).filter((f) => f.labelPath);
    expect(labelled.map((f) => f.relPath)).toEqual(['frames/seq003/frame_000012.jpg', 'frames/seq004/frame_000030.jpg']);
    project.close();
  });

  it('attaches no label when two ground-truth files claim the same frame', async () => {
    const { dir } = await dashcamFolder();
    put(dir, `dashcam_gt/gtFine/train/seq003/${gtName(3, 12, 7)}`, greyPng(W, H, new Array(W * H).fill(7)));
    const project = openTestProject();
    const added = project.service.addDataset({ name: 'dash', role: 'dashcam', root: join(dir, 'dashcam', 'frames') });
    project.service.attachGroundTruth(added.id, join(dir, 'dashcam_gt'));
    await project.service.scan(added.id, ctx());
    const frame = project.service.listFrames(added.id, { offset: 0, limit: 100 }).find((f) => f.relPath === 'seq003/frame_000012.jpg')!;
    expect(frame.labelPath).toBeNull();
    expect(project.service.issues(added.id, { code: 'ambiguous_label' }).map((i) => i.relPath)).toEqual(['seq003/frame_000012.jpg']);
    project.close();
  });

  it('refuses a ground-truth folder as a dataset and a non-gt folder as ground truth', async () => {
    const { dir } = await dashcamFolder();
    const project = openTestProject();
    expect(() => project.service.addDataset({ name: 'gt', role: 'dashcam', root: join(dir, 'dashcam_gt') })).toThrow(/attach it/);
    const added = project.service.addDataset({ name: 'dash', role: 'dashcam', root: join(dir, 'dashcam', 'frames') });
    expect(() => project.service.attachGroundTruth(added.id, join(dir, 'dashcam'))).toThrow(expect.objectContaining({ code: 'BAD_DATASET' }) as Error);
    expect(() => project.service.attachGroundTruth(added.id, join(dir, 'nowhere'))).toThrow(expect.objectContaining({ code: 'BAD_DATASET' }) as Error);
    project.close();
  });
});
