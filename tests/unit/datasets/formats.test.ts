/**
 * Every format read from a folder written here in that format's real naming and
 * encoding; decoded labels are compared pixel by pixel with trainIds worked out by hand
 * from the reference tables (not from the module under test).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, ctx, greyPng, openTestProject, pattern, photoJpeg, photoPng, photoWebp, put, tempDir } from './helpers/fixtures';
import { encodePng, paletteOf } from './helpers/pngWrite';

afterAll(cleanupTempDirs);

const W = 12;
const H = 8;
/** Cityscapes colours of labelIds 0..33 (labels.py), as a GTA5 PLTE carries them. */
const LABEL_ID_COLOURS: [number, number, number][] = [
  [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [111, 74, 0], [81, 0, 81], [128, 64, 128], [244, 35, 232],
  [250, 170, 160], [230, 150, 140], [70, 70, 70], [102, 102, 156], [190, 153, 153], [180, 165, 180], [150, 100, 100],
  [150, 120, 90], [153, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0], [107, 142, 35], [152, 251, 152],
  [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 0, 90], [0, 0, 110],
  [0, 80, 100], [0, 0, 230], [119, 11, 32],
];
/** [labelId, trainId] for every labelId the evaluation keeps, plus voids. */
const LABEL_ID_PAIRS: [number, number][] = [
  [7, 0], [8, 1], [11, 2], [12, 3], [13, 4], [17, 5], [19, 6], [20, 7], [21, 8], [22, 9], [23, 10], [24, 11], [25, 12],
  [26, 13], [27, 14], [28, 15], [31, 16], [32, 17], [33, 18], [0, 255], [1, 255], [9, 255], [30, 255],
];

function labelPattern<V>(pairs: readonly (readonly [V, number])[]): { raw: V[]; expected: number[] } {
  const idx = pattern(W, H, pairs.length);
  return { raw: idx.map((i) => pairs[i]![0]), expected: idx.map((i) => pairs[i]![1]) };
}

async function scanned(root: string, extra: (service: ReturnType<typeof openTestProject>['service'], id: number) => void = () => {}) {
  const project = openTestProject();
  const added = project.service.addDataset({ name: 'd', role: 'sim', root });
  extra(project.service, added.id);
  const summary = await project.service.scan(added.id, ctx());
  const frames = project.service.listFrames(added.id, { offset: 0, limit: 100 });
  const issues = project.service.issues(added.id);
  return { project, added, summary, frames, issues, service: project.service };
}

describe('dataset formats', () => {
  it('GTA5: palette label PNGs are read by index = labelId, RGB-resaved ones by colour', async () => {
    const root = tempDir('gta5-');
    const { raw, expected } = labelPattern(LABEL_ID_PAIRS);
    put(root, 'images/00001.png', await photoPng(W, H));
    put(root, 'labels/00001.png', encodePng({ width: W, height: H, colourType: 3, samples: raw, palette: paletteOf(LABEL_ID_COLOURS), filters: [1, 2, 3, 4, 0] }));
    // The same label saved as RGB by an image tool: only colours are left (pole and polegroup share one).
    const rgbPairs = LABEL_ID_PAIRS.filter(([id]) => id !== 18);
    const rgb = labelPattern(rgbPairs);
    put(root, 'images/00002.png', await photoPng(W, H));
    put(root, 'labels/00002.png', encodePng({ width: W, height: H, colourType: 2, samples: rgb.raw.flatMap((id) => LABEL_ID_COLOURS[id]!) }));
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('gta5');
    expect(frames.map((f) => [f.relPath, f.labelPath, f.width, f.height, f.status])).toEqual([
      ['images/00001.png', 'labels/00001.png', W, H, 'ok'],
      ['images/00002.png', 'labels/00002.png', W, H, 'ok'],
    ]);
    expect(Array.from((await service.labelTrainIds(frames[0]!.id)).data)).toEqual(expected);
    expect(Array.from((await service.labelTrainIds(frames[1]!.id)).data)).toEqual(rgb.expected);
    expect(issues).toEqual([]);
    const hist = service.classHistogram(added.id);
    for (let t = 0; t < 19; t++) expect(hist[t]).toBe([...expected, ...rgb.expected].filter((v) => v === t).length);
    project.close();
  });

  it('Cityscapes: labelIds preferred over labelTrainIds, side files ignored', async () => {
    const root = tempDir('cityscapes-');
    const ids = labelPattern(LABEL_ID_PAIRS);
    const trainPairs: [number, number][] = [...Array(19).keys()].map((t) => [t, t]);
    trainPairs.push([255, 255]);
    const trainIds = labelPattern(trainPairs);
    const stem = (city: string, n: number) => `${city}_000000_${String(n).padStart(6, '0')}`;
    for (const [city, n] of [['aachen', 19], ['aachen', 20], ['bremen', 3]] as const) {
      put(root, `leftImg8bit/train/${city}/${stem(city, n)}_leftImg8bit.png`, await photoPng(W, H));
      put(root, `gtFine/train/${city}/${stem(city, n)}_gtFine_color.png`, await photoPng(W, H));
      put(root, `gtFine/train/${city}/${stem(city, n)}_gtFine_polygons.json`, '{}');
    }
    put(root, `gtFine/train/aachen/${stem('aachen', 19)}_gtFine_labelIds.png`, greyPng(W, H, ids.raw));
    put(root, `gtFine/train/aachen/${stem('aachen', 20)}_gtFine_labelTrainIds.png`, greyPng(W, H, trainIds.raw));
    // Both files present and disagreeing: the labelIds one must win.
    put(root, `gtFine/train/bremen/${stem('bremen', 3)}_gtFine_labelIds.png`, greyPng(W, H, ids.raw));
    put(root, `gtFine/train/bremen/${stem('bremen', 3)}_gtFine_labelTrainIds.png`, greyPng(W, H, new Array(W * H).fill(0)));
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('cityscapes');
    expect(frames.map((f) => f.labelPath)).toEqual([
      `gtFine/train/aachen/${stem('aachen', 19)}_gtFine_labelIds.png`,
      `gtFine/train/aachen/${stem('aachen', 20)}_gtFine_labelTrainIds.png`,
      `gtFine/train/bremen/${stem('bremen', 3)}_gtFine_labelIds.png`,
    ]);
    expect(Array.from((await service.labelTrainIds(frames[0]!.id)).data)).toEqual(ids.expected);
    expect(Array.from((await service.labelTrainIds(frames[1]!.id)).data)).toEqual(trainIds.expected);
    expect(Array.from((await service.labelTrainIds(frames[2]!.id)).data)).toEqual(ids.expected);
    expect(issues).toEqual([]);
    project.close();
  });

  it('CARLA 0.9.14+: tag in the red channel, tag - 1, tags 20..28 ignored', async () => {
    const root = tempDir('carla-');
    const pairs: [number, number][] = [[0, 255], ...[...Array(19).keys()].map((t): [number, number] => [t + 1, t]), [20, 255], [24, 255], [28, 255]];
    const { raw, expected } = labelPattern(pairs);
    put(root, 'rgb/000100.png', await photoPng(W, H));
    put(root, 'semantic/000100.png', encodePng({ width: W, height: H, colourType: 2, samples: raw.flatMap((t) => [t, 0, 0]) }));
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('carla');
    expect(added.detectedBecause).toMatch(/above 12/);
    expect(frames[0]!.labelPath).toBe('semantic/000100.png');
    expect(Array.from((await service.labelTrainIds(frames[0]!.id)).data)).toEqual(expected);
    expect(issues).toEqual([]);
    project.close();
  });

  it('CARLA before 0.9.14: CameraRGB/CameraSemSeg episodes, RGBA raw tags, road line read as road', async () => {
    const root = tempDir('carla-old-');
    const pairs: [number, number][] = [[0, 255], [1, 2], [2, 4], [3, 255], [4, 11], [5, 5], [6, 0], [7, 0], [8, 1], [9, 8], [10, 13], [11, 3], [12, 7]];
    const { raw, expected } = labelPattern(pairs);
    // Road (7) across the bottom quarter, as in any driving frame.
    const rawWithRoad = raw.map((t, i) => (i >= W * H * 0.75 ? 7 : t));
    const expectedWithRoad = expected.map((t, i) => (i >= W * H * 0.75 ? 0 : t));
    for (const ep of ['episode_0000', 'episode_0001']) {
      put(root, `${ep}/CameraRGB/image_00005.png`, await photoPng(W, H));
      put(root, `${ep}/CameraSemSeg/image_00005.png`, encodePng({ width: W, height: H, colourType: 6, samples: rawWithRoad.flatMap((t) => [t, 0, 0, 255]) }));
    }
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('carla-legacy');
    expect(frames.map((f) => f.labelPath)).toEqual(['episode_0000/CameraSemSeg/image_00005.png', 'episode_0001/CameraSemSeg/image_00005.png']);
    for (const f of frames) expect(Array.from((await service.labelTrainIds(f.id)).data)).toEqual(expectedWithRoad);
    expect(issues).toEqual([]);
    project.close();
  });

  it('CARLA CityScapesPalette: exact colours, CARLA extras ignored, stray colours reported', async () => {
    const root = tempDir('carla-palette-');
    const pairs: [[number, number, number], number][] = [
      [[128, 64, 128], 0], [[244, 35, 232], 1], [[70, 130, 180], 10], [[0, 0, 142], 13], [[119, 11, 32], 18],
      [[157, 234, 50], 255], [[0, 0, 0], 255], [[128, 64, 127], 255],
    ];
    const { raw, expected } = labelPattern(pairs);
    put(root, 'rgb/0001.jpg', await photoJpeg(W, H));
    put(root, 'semantic/0001.png', encodePng({ width: W, height: H, colourType: 2, samples: raw.flat() }));
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('carla-palette');
    expect(Array.from((await service.labelTrainIds(frames[0]!.id)).data)).toEqual(expected);
    expect(issues.map((i) => [i.relPath, i.code])).toEqual([['rgb/0001.jpg', 'unknown_label_values']]);
    expect(issues[0]!.message).toContain('(128,64,127)');
    project.close();
  });

  it('SYNTHIA: 16-bit labels, class in the first channel (instance ids in the second)', async () => {
    const root = tempDir('synthia-');
    const pairs: [number, number][] = [
      [0, 255], [1, 10], [2, 2], [3, 0], [4, 1], [5, 4], [6, 8], [7, 5], [8, 13], [9, 7], [10, 11], [11, 18], [12, 17],
      [13, 255], [14, 255], [15, 6], [16, 255], [17, 12], [18, 255], [19, 15], [20, 255], [21, 3], [22, 255],
    ];
    const { raw, expected } = labelPattern(pairs);
    put(root, 'RGB/0000001.png', await photoPng(W, H));
    put(root, 'GT/LABELS/0000001.png', encodePng({ width: W, height: H, colourType: 2, bitDepth: 16, samples: raw.flatMap((c, i) => [c, 300 + i, 0]) }));
    put(root, 'GT/COLOR/0000001.png', await photoPng(W, H));
    put(root, 'Depth/0000001.png', await photoPng(W, H));
    const { added, frames, service, issues, project } = await scanned(root);
    expect(added.format).toBe('synthia');
    expect(frames.map((f) => [f.relPath, f.labelPath])).toEqual([['RGB/0000001.png', 'GT/LABELS/0000001.png']]);
    expect(Array.from((await service.labelTrainIds(frames[0]!.id)).data)).toEqual(expected);
    expect(issues).toEqual([]);
    project.close();
  });

  it('generic: classes.json id mapping and palette mapping', async () => {
    const byId = tempDir('generic-ids-');
    put(byId, 'classes.json', JSON.stringify({ description: 'road/car/sky', mapping: { '0': 255, '1': 0, '2': 13, '5': 10 } }));
    const ids = labelPattern<number>([[0, 255], [1, 0], [2, 13], [5, 10], [9, 255]]);
    put(byId, 'images/a.jpg', await photoJpeg(W, H));
    put(byId, 'masks/a.png', greyPng(W, H, ids.raw));
    const one = await scanned(byId);
    expect(one.added.format).toBe('generic');
    expect(Array.from((await one.service.labelTrainIds(one.frames[0]!.id)).data)).toEqual(ids.expected);
    expect(one.issues.map((i) => i.code)).toEqual(['unknown_label_values']);
    expect(one.issues[0]!.message).toMatch(/\b9 \(\d+ px\)/);
    one.project.close();

    const byColour = tempDir('generic-palette-');
    put(byColour, 'classes.json', JSON.stringify({ palette: [[10, 20, 30, 8], [0, 0, 0, 255], [200, 0, 0, 12]] }));
    const colours = labelPattern<[number, number, number]>([[[10, 20, 30], 8], [[0, 0, 0], 255], [[200, 0, 0], 12]]);
    put(byColour, 'images/b.webp', await photoWebp(W, H));
    put(byColour, 'masks/b.png', encodePng({ width: W, height: H, colourType: 2, samples: colours.raw.flat() }));
    const two = await scanned(byColour);
    expect(Array.from((await two.service.labelTrainIds(two.frames[0]!.id)).data)).toEqual(colours.expected);
    expect(two.issues).toEqual([]);
    two.project.close();
  });

  it('generic: a classes.json that breaks the schema is refused when the dataset is added', () => {
    const root = tempDir('generic-bad-');
    put(root, 'images/x.png', Buffer.alloc(0));
    put(root, 'masks/x.png', Buffer.alloc(0));
    const project = openTestProject();
    for (const bad of [{ mapping: { '1': 19 } }, { mapping: { '1': 0 }, palette: [[0, 0, 0, 0]] }, { palette: [[0, 0, 0]] }]) {
      put(root, 'classes.json', JSON.stringify(bad));
      expect(() => project.service.addDataset({ name: 'g', role: 'sim', root })).toThrow(expect.objectContaining({ code: 'BAD_DATASET' }) as Error);
    }
    project.close();
  });

  it('plain folder: nested sequences, PNG/JPEG/WebP, natural order, no labels', async () => {
    const root = tempDir('folder-');
    const names = ['seq10/frame_1.jpg', 'seq2/frame_10.png', 'seq2/frame_2.webp', 'seq2/frame_1.jpg', 'seq2/sub/frame_3.jpg', 'top.png'];
    for (const n of names) put(root, n, n.endsWith('.png') ? await photoPng(W + 1, H) : n.endsWith('.webp') ? await photoWebp(W, H + 1) : await photoJpeg(W, H));
    const { added, frames, issues, project } = await scanned(root);
    expect(added.format).toBe('folder');
    expect(frames.map((f) => f.relPath)).toEqual(['seq2/frame_1.jpg', 'seq2/frame_2.webp', 'seq2/frame_10.png', 'seq2/sub/frame_3.jpg', 'seq10/frame_1.jpg', 'top.png']);
    expect(frames.map((f) => [f.width, f.height])).toEqual([[W, H], [W, H + 1], [W + 1, H], [W, H], [W, H], [W + 1, H]]);
    expect(frames.every((f) => f.labelPath === null && f.status === 'ok')).toBe(true);
    expect(issues).toEqual([]);
    project.close();
  });
});
