/**
 * GTA5 (Playing for Data): `images/*.png` + `labels/*.png`. Labels are palette PNGs
 * whose INDEX is the Cityscapes labelId; an RGB-resaved label is read by its colours.
 */
import { CITYSCAPES_COLOURS, CITYSCAPES_LABEL_IDS } from '../taxonomy';
import { siblingLayoutReader, type SiblingLayoutSpec } from './siblingLayout';
import type { FormatReader } from './types';

export const GTA5_LAYOUT: SiblingLayoutSpec = {
  format: 'gta5',
  imageDirs: ['images'],
  labelDirs: [['labels']],
  encoding: () => ({ kind: 'value', mapping: CITYSCAPES_LABEL_IDS, rgbFallback: CITYSCAPES_COLOURS }),
};

export function gta5Reader(): FormatReader {
  return siblingLayoutReader(GTA5_LAYOUT);
}
