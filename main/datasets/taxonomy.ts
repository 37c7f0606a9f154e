/**
 * The one place that knows how each dataset's label values become Cityscapes trainIds.
 * Pure module (no Node imports). Lookup tables are 256-entry Uint8Arrays because the
 * label decoders index them once per pixel.
 * Facts: shared/reference/formats.md (cityscapesScripts labels.py, SYNTHIA, CARLA docs).
 */
import { IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES, TRAIN_CLASSES, type Rgb } from '../../common/classes';

export { IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES, TRAIN_CLASSES };
export type { Rgb, TrainClass } from '../../common/classes';

/**
 * Single-value label encoding (palette index, grey level, or one channel) → trainId.
 * `documented` marks values the source format defines (a class or a void such as
 * "unlabeled"); a value outside it is reported as an unknown label value.
 */
export interface IdMapping {
  readonly name: string;
  readonly toTrainId: Uint8Array;
  readonly documented: Uint8Array;
}

/** RGB label encoding: packed 0xRRGGBB → trainId; documented void colours map to 255. */
export interface ColourMapping {
  readonly name: string;
  readonly toTrainId: ReadonlyMap<number, number>;
}

export function packRgb(r: number, g: number, b: number): number {
  return (r << 16) | (g << 8) | b;
}

export function formatRgb(packed: number): string {
  return `(${(packed >> 16) & 255},${(packed >> 8) & 255},${packed & 255})`;
}

function idMapping(name: string, pairs: readonly (readonly [number, number])[], documentedUpTo: number, extraDocumented: readonly number[] = []): IdMapping {
  const toTrainId = new Uint8Array(256).fill(IGNORE_TRAIN_ID);
  const documented = new Uint8Array(256);
  for (let v = 0; v <= documentedUpTo; v++) documented[v] = 1;
  for (const v of extraDocumented) documented[v] = 1;
  for (const [value, trainId] of pairs) {
    toTrainId[value] = trainId;
    documented[value] = 1;
  }
  return { name, toTrainId, documented };
}

/** Cityscapes labelId → trainId. labelIds 0..33 are all defined (0–6 and the non-evaluated ones are void). */
export const CITYSCAPES_LABEL_IDS: IdMapping = idMapping(
  'Cityscapes labelIds',
  [
    [7, 0], [8, 1], [11, 2], [12, 3], [13, 4], [17, 5], [19, 6], [20, 7], [21, 8], [22, 9],
    [23, 10], [24, 11], [25, 12], [26, 13], [27, 14], [28, 15], [31, 16], [32, 17], [33, 18],
  ],
  33,
);

/** `*_labelTrainIds.png` files already hold trainIds; 255 is their documented ignore. */
export const CITYSCAPES_TRAIN_IDS: IdMapping = idMapping(
  'Cityscapes labelTrainIds',
  TRAIN_CLASSES.map((c) => [c.trainId, c.trainId] as const),
  NUM_TRAIN_CLASSES - 1,
  [IGNORE_TRAIN_ID],
);

/**
 * SYNTHIA-RAND-CITYSCAPES class id (first channel of the 16-bit GT/LABELS PNG) → trainId.
 * SYNTHIA defines ids 0..22 (0 void, 13 parking-slot, 14 road-work, 16 terrain, 18 truck,
 * 20 train, 22 lanemarking are not mapped, following the reference table).
 */
export const SYNTHIA_IDS: IdMapping = idMapping(
  'SYNTHIA class ids',
  [
    [3, 0], [4, 1], [2, 2], [21, 3], [5, 4], [7, 5], [15, 6], [9, 7], [6, 8], [1, 10],
    [10, 11], [17, 12], [8, 13], [19, 15], [12, 17], [11, 18],
  ],
  22,
);

/**
 * CARLA ≥ 0.9.14 semantic tags (red channel): tags 1..19 follow trainId order, so
 * trainId = tag − 1. Tags 20–28 (static, dynamic, other, water, road line, ground,
 * bridge, rail track, guard rail) → ignore, road line included. Cityscapes would call a
 * marking road, so folding 24 into road is defensible too; ignoring it keeps the rule
 * "tag − 1 or ignore" with no exceptions and only drops thin marking pixels from training.
 */
export const CARLA_TAGS: IdMapping = idMapping(
  'CARLA tags (0.9.14+)',
  Array.from({ length: NUM_TRAIN_CLASSES }, (_, i) => [i + 1, i] as const),
  28,
);

/**
 * CARLA < 0.9.14 tags: 0 unlabeled, 1 building, 2 fence, 3 other, 4 pedestrian, 5 pole,
 * 6 road line, 7 road, 8 sidewalk, 9 vegetation, 10 car, 11 wall, 12 traffic sign.
 * Road line (6) → road: in this older set markings are painted over a large share of the
 * road surface and Cityscapes annotates markings as road. Sky, terrain, traffic lights,
 * riders, trucks, buses, trains and two-wheelers have no tag (they fall into 0 or 3).
 */
export const CARLA_LEGACY_TAGS: IdMapping = idMapping(
  'CARLA tags (before 0.9.14)',
  [[1, 2], [2, 4], [4, 11], [5, 5], [6, 0], [7, 0], [8, 1], [9, 8], [10, 13], [11, 3], [12, 7]],
  12,
);

/**
 * Colours for the labelIds that are not evaluated (cityscapesScripts labels.py) and for
 * CARLA 0.9.14's extra tags under its CityScapesPalette converter. They are documented
 * voids: they map to ignore without being reported as unknown.
 */
const VOID_COLOURS: readonly Rgb[] = [
  [0, 0, 0], // unlabeled, ego vehicle, rectification border, out of roi, static
  [111, 74, 0], // dynamic
  [81, 0, 81], // ground (also CARLA ground)
  [250, 170, 160], // parking
  [230, 150, 140], // rail track
  [180, 165, 180], // guard rail
  [150, 100, 100], // bridge
  [150, 120, 90], // tunnel
  [0, 0, 90], // caravan
  [0, 0, 110], // trailer
  [110, 190, 160], // CARLA static
  [170, 120, 50], // CARLA dynamic
  [55, 90, 80], // CARLA other
  [45, 60, 150], // CARLA water
  [157, 234, 50], // CARLA road line
];

/**
 * Cityscapes colour → trainId, exact match only (a colour that is off by one is unknown,
 * not "nearest class": label PNGs are lossless, so a near miss means a wrong palette).
 * polegroup shares pole's colour and license plate shares car's; both map to the class.
 */
export const CITYSCAPES_COLOURS: ColourMapping = {
  name: 'Cityscapes colours',
  toTrainId: new Map<number, number>([
    ...VOID_COLOURS.map((c) => [packRgb(c[0], c[1], c[2]), IGNORE_TRAIN_ID] as [number, number]),
    ...TRAIN_CLASSES.map((c) => [packRgb(c.colour[0], c.colour[1], c.colour[2]), c.trainId] as [number, number]),
  ]),
};

/** Builds a mapping from a user's id → trainId table (generic datasets); listed values are documented. */
export function customIdMapping(name: string, table: ReadonlyMap<number, number>): IdMapping {
  const toTrainId = new Uint8Array(256).fill(IGNORE_TRAIN_ID);
  const documented = new Uint8Array(256);
  for (const [value, trainId] of table) {
    toTrainId[value] = trainId;
    documented[value] = 1;
  }
  return { name, toTrainId, documented };
}

export function customColourMapping(name: string, table: ReadonlyMap<number, number>): ColourMapping {
  return { name, toTrainId: new Map(table) };
}

export function isTrainIdOrIgnore(value: number): boolean {
  return Number.isInteger(value) && ((value >= 0 && value < NUM_TRAIN_CLASSES) || value === IGNORE_TRAIN_ID);
}
