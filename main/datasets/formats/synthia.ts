/**
 * SYNTHIA-RAND-CITYSCAPES: `RGB/*.png` + `GT/LABELS/*.png`, labels 16-bit with the class
 * id in the first channel. `GT/COLOR/` and `Depth/` are left out.
 */
import { SYNTHIA_IDS } from '../taxonomy';
import { siblingLayoutReader, type SiblingLayoutSpec } from './siblingLayout';
import type { FormatReader } from './types';

export const SYNTHIA_LAYOUT: SiblingLayoutSpec = {
  format: 'synthia',
  imageDirs: ['rgb'],
  labelDirs: [['gt', 'labels']],
  encoding: () => ({ kind: 'value', mapping: SYNTHIA_IDS }),
};

export function synthiaReader(): FormatReader {
  return siblingLayoutReader(SYNTHIA_LAYOUT);
}
