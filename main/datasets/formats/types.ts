/**
 * What every dataset format module provides: how files under its root take part
 * (image, label, ignored), how an image finds its label, and how a label's pixels
 * become trainIds.
 */
import type { LabelEncoding } from '../labelDecode';

export const DATASET_FORMATS = [
  'gta5',
  'cityscapes',
  'carla',
  'carla-legacy',
  'carla-palette',
  'synthia',
  'generic',
  'folder',
] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export function isDatasetFormat(value: string): value is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(value);
}

/**
 * `skip`: outside the format's layout or a known side file (Cityscapes _color.png,
 * _polygons.json...) — silently left out. `not_image`: sits where images or labels
 * belong but is not one — reported.
 */
export type FileRole = 'image' | 'label' | 'skip' | 'not_image';

/** Pairs images with label files by shared keys; also used for attached ground truth. */
export interface LabelMatcher {
  classifyLabelTree(rel: string): FileRole;
  /** Keys to look the image's label up by, best first. */
  imageKeys(imageRel: string): string[];
  labelKeys(labelRel: string): string[];
  /** When several label files share a key, the lowest rank wins (labelIds over labelTrainIds). */
  labelRank(labelRel: string): number;
  labelEncoding(labelRel: string): LabelEncoding;
  /** Folders of the label tree worth entering (relative, '/'-separated). */
  enterLabelDir?(rel: string): boolean;
}

export interface FormatReader extends LabelMatcher {
  readonly format: DatasetFormat;
  /** Whether an image without a label is a problem worth an issue. */
  readonly expectsLabels: boolean;
  /** Role of a file in the dataset's own tree. */
  classify(rel: string): FileRole;
  enterDir?(rel: string): boolean;
}

export function extensionOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  return dot > slash ? name.slice(dot).toLowerCase() : '';
}

export function withoutExtension(rel: string): string {
  const slash = rel.lastIndexOf('/');
  const dot = rel.lastIndexOf('.');
  return dot > slash ? rel.slice(0, dot) : rel;
}
