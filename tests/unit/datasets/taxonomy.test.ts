import { describe, expect, it } from 'vitest';
import { IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES, TRAIN_CLASSES } from '../../../common/classes';
import {
  CARLA_LEGACY_TAGS,
  CARLA_TAGS,
  CITYSCAPES_COLOURS,
  CITYSCAPES_LABEL_IDS,
  CITYSCAPES_TRAIN_IDS,
  packRgb,
  SYNTHIA_IDS,
  type IdMapping,
} from '../../../main/datasets/taxonomy';

/** Every value 0..255: the listed ones map as given, all others to ignore. */
function expectTable(mapping: IdMapping, expected: Record<number, number>): void {
  for (let v = 0; v < 256; v++) expect([v, mapping.toTrainId[v]]).toEqual([v, expected[v] ?? IGNORE_TRAIN_ID]);
}

describe('taxonomy', () => {
  it('has the 19 Cityscapes train classes with their official colours', () => {
    expect(NUM_TRAIN_CLASSES).toBe(19);
    expect(TRAIN_CLASSES.map((c) => c.trainId)).toEqual([...Array(19).keys()]);
    expect(TRAIN_CLASSES[0]).toEqual({ trainId: 0, name: 'road', colour: [128, 64, 128] });
    expect(TRAIN_CLASSES[13]).toEqual({ trainId: 13, name: 'car', colour: [0, 0, 142] });
    expect(TRAIN_CLASSES[18]).toEqual({ trainId: 18, name: 'bicycle', colour: [119, 11, 32] });
  });

  it('maps Cityscapes labelIds as the evaluation does; 0..33 are documented', () => {
    expectTable(CITYSCAPES_LABEL_IDS, {
      7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
    });
    expect(CITYSCAPES_LABEL_IDS.documented[33]).toBe(1);
    expect(CITYSCAPES_LABEL_IDS.documented[34]).toBe(0);
  });

  it('passes labelTrainIds through, with 255 documented', () => {
    expectTable(CITYSCAPES_TRAIN_IDS, Object.fromEntries([...Array(19).keys()].map((t) => [t, t])));
    expect(CITYSCAPES_TRAIN_IDS.documented[255]).toBe(1);
    expect(CITYSCAPES_TRAIN_IDS.documented[19]).toBe(0);
  });

  it('maps SYNTHIA ids per the reference table (no terrain, truck, train)', () => {
    expectTable(SYNTHIA_IDS, { 3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 10, 10: 11, 17: 12, 8: 13, 19: 15, 12: 17, 11: 18 });
    expect(SYNTHIA_IDS.documented[22]).toBe(1);
    expect(SYNTHIA_IDS.documented[23]).toBe(0);
  });

  it('maps CARLA 0.9.14+ tags as tag - 1 for 1..19 and ignores 20..28', () => {
    expectTable(CARLA_TAGS, Object.fromEntries([...Array(19).keys()].map((t) => [t + 1, t])));
    expect(CARLA_TAGS.toTrainId[24]).toBe(IGNORE_TRAIN_ID); // road line
    expect(CARLA_TAGS.documented[28]).toBe(1);
    expect(CARLA_TAGS.documented[29]).toBe(0);
  });

  it('maps the CARLA tags before 0.9.14, road line onto road', () => {
    expectTable(CARLA_LEGACY_TAGS, { 1: 2, 2: 4, 4: 11, 5: 5, 6: 0, 7: 0, 8: 1, 9: 8, 10: 13, 11: 3, 12: 7 });
    expect(CARLA_LEGACY_TAGS.documented[12]).toBe(1);
    expect(CARLA_LEGACY_TAGS.documented[13]).toBe(0);
  });

  it('matches Cityscapes colours exactly: off-by-one is not a class', () => {
    for (const c of TRAIN_CLASSES) expect(CITYSCAPES_COLOURS.toTrainId.get(packRgb(...c.colour))).toBe(c.trainId);
    expect(CITYSCAPES_COLOURS.toTrainId.get(packRgb(128, 64, 129))).toBeUndefined();
    expect(CITYSCAPES_COLOURS.toTrainId.get(packRgb(0, 0, 0))).toBe(IGNORE_TRAIN_ID);
    expect(CITYSCAPES_COLOURS.toTrainId.get(packRgb(157, 234, 50))).toBe(IGNORE_TRAIN_ID); // CARLA road line
  });
});
