/**
 * A plain folder of frames (the dashcam case): every PNG/JPEG/WebP below the root, in
 * natural order folder by folder; no labels of its own (ground truth can be attached).
 */
import { hasImageExtension } from '../imageHeader';
import { CITYSCAPES_LABEL_IDS } from '../taxonomy';
import type { FormatReader } from './types';

export function folderReader(): FormatReader {
  return {
    format: 'folder',
    expectsLabels: false,
    classify: (rel) => (hasImageExtension(rel) ? 'image' : 'not_image'),
    classifyLabelTree: () => 'skip',
    imageKeys: () => [],
    labelKeys: () => [],
    labelRank: () => 0,
    labelEncoding: () => ({ kind: 'value', mapping: CITYSCAPES_LABEL_IDS }),
  };
}
