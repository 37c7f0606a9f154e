/** Format detection from layouts and sample labels, with reasons a user can check. */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { detectFormat } from '../../../main/datasets/formats';
import { cleanupTempDirs, put, tempDir } from './helpers/fixtures';
import { encodePng, paletteOf } from './helpers/pngWrite';

afterAll(cleanupTempDirs);

const W = 8;
const H = 8;
/** Raw CARLA label: `tag(i)` in red, green and blue zero. */
const carlaRaw = (tag: (i: number) => number) => encodePng({ width: W, height: H, colourType: 2, samples: Array.from({ length: W * H }, (_, i) => [tag(i), 0, 0]).flat() });
const bottomIs = (road: number, other: number) => (i: number) => (i >= W * H * 0.75 ? road : other);

describe('detectFormat', () => {
  it('tells the layouts apart', () => {
    const cases: [string, Record<string, Buffer | string>, string][] = [
      ['gta5', { 'images/1.png': 'x', 'labels/1.png': encodePng({ width: 2, height: 2, colourType: 3, samples: [7, 7, 26, 0], palette: paletteOf([[0, 0, 0]]) }) }, 'gta5'],
      ['cityscapes', { 'leftImg8bit/train/a/a_000000_000001_leftImg8bit.png': 'x', 'gtFine/train/a/a_000000_000001_gtFine_labelIds.png': 'x' }, 'cityscapes'],
      ['gt only', { 'gtFine/val/seq001/seq001_000001_000001_gtFine_labelIds.png': 'x' }, 'cityscapes-gt'],
      ['synthia', { 'RGB/0000001.png': 'x', 'GT/LABELS/0000001.png': 'x', 'GT/COLOR/0000001.png': 'x' }, 'synthia'],
      ['generic', { 'classes.json': '{"mapping":{"1":0}}', 'images/a.png': 'x', 'masks/a.png': 'x' }, 'generic'],
      ['folder', { 'seq1/deep/frame_1.webp': 'x', 'notes.txt': 'x' }, 'folder'],
      ['carla new', { 'rgb/1.png': 'x', 'semantic/1.png': carlaRaw((i) => (i % 2 ? 14 : 1)) }, 'carla'],
      ['carla old by road', { 'episode_0000/CameraRGB/1.png': 'x', 'episode_0000/CameraSemSeg/1.png': carlaRaw(bottomIs(7, 9)) }, 'carla-legacy'],
      ['carla new by road', { 'rgb/1.png': 'x', 'semantic/1.png': carlaRaw(bottomIs(1, 9)) }, 'carla'],
      ['carla in images+labels', { 'images/1.png': 'x', 'labels/1.png': carlaRaw(bottomIs(7, 1)) }, 'carla-legacy'],
      ['carla palette', { 'rgb/1.png': 'x', 'semantic/1.png': encodePng({ width: 1, height: 2, colourType: 2, samples: [128, 64, 128, 70, 130, 180] }) }, 'carla-palette'],
    ];
    for (const [what, files, format] of cases) {
      const root = tempDir('detect-');
      for (const [rel, body] of Object.entries(files)) put(root, rel, body);
      const detection = detectFormat(root);
      expect([what, detection.format]).toEqual([what, format]);
      expect(detection.reason.length).toBeGreaterThan(10);
    }
  });

  it('lets a CARLA version in the path decide when the tags cannot', () => {
    const parent = tempDir('detect-version-');
    const root = join(parent, 'CARLA_0.9.15', 'town03');
    put(root, 'rgb/1.png', 'x');
    put(root, 'semantic/1.png', carlaRaw(() => 9));
    expect(detectFormat(root)).toMatchObject({ format: 'carla', reason: expect.stringContaining('0.9.15') as string });
  });

  it('refuses a folder without images, naming the layouts it knows', () => {
    const root = tempDir('detect-empty-');
    put(root, 'readme.txt', 'nothing here');
    put(root, 'labels/values.csv', '1,2,3');
    expect(() => detectFormat(root)).toThrow(/no PNG, JPEG or WebP images found[\s\S]*CameraRGB/);
  });
});
