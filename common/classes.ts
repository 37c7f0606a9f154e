/**
 * The 19 Cityscapes train classes every model, label and metric in the app speaks in.
 * Pure TypeScript with no imports: the renderer shares this file with the backend.
 * Source: cityscapesScripts helpers/labels.py (trainId order, official colours).
 */

export type Rgb = readonly [number, number, number];

export interface TrainClass {
  readonly trainId: number;
  readonly name: string;
  readonly colour: Rgb;
}

/** Pixels that belong to no evaluated class; metrics drop them. */
export const IGNORE_TRAIN_ID = 255;

export const TRAIN_CLASSES: readonly TrainClass[] = [
  { trainId: 0, name: 'road', colour: [128, 64, 128] },
  { trainId: 1, name: 'sidewalk', colour: [244, 35, 232] },
  { trainId: 2, name: 'building', colour: [70, 70, 70] },
  { trainId: 3, name: 'wall', colour: [102, 102, 156] },
  { trainId: 4, name: 'fence', colour: [190, 153, 153] },
  { trainId: 5, name: 'pole', colour: [153, 153, 153] },
  { trainId: 6, name: 'traffic light', colour: [250, 170, 30] },
  { trainId: 7, name: 'traffic sign', colour: [220, 220, 0] },
  { trainId: 8, name: 'vegetation', colour: [107, 142, 35] },
  { trainId: 9, name: 'terrain', colour: [152, 251, 152] },
  { trainId: 10, name: 'sky', colour: [70, 130, 180] },
  { trainId: 11, name: 'person', colour: [220, 20, 60] },
  { trainId: 12, name: 'rider', colour: [255, 0, 0] },
  { trainId: 13, name: 'car', colour: [0, 0, 142] },
  { trainId: 14, name: 'truck', colour: [0, 0, 70] },
  { trainId: 15, name: 'bus', colour: [0, 60, 100] },
  { trainId: 16, name: 'train', colour: [0, 80, 100] },
  { trainId: 17, name: 'motorcycle', colour: [0, 0, 230] },
  { trainId: 18, name: 'bicycle', colour: [119, 11, 32] },
];

export const NUM_TRAIN_CLASSES = TRAIN_CLASSES.length;
