/**
 * Cityscapes: `leftImg8bit/{split}/{city}/{city}_{seq}_{frame}_leftImg8bit.png` with
 * `gtFine/{split}/{city}/{city}_{seq}_{frame}_gtFine_labelIds.png` (the file the official
 * evaluation reads) or the derived `_gtFine_labelTrainIds.png`. `_color`, `_instanceIds`
 * and `_polygons.json` are left out.
 *
 * Also the ground-truth-only folder (`gtFine/` alone) that holds held-out labels for a
 * dashcam dataset: `groundTruthMatcher` pairs plain frames with it.
 */
import { hasImageExtension } from '../imageHeader';
import type { LabelEncoding } from '../labelDecode';
import { CITYSCAPES_LABEL_IDS, CITYSCAPES_TRAIN_IDS } from '../taxonomy';
import type { FileRole, FormatReader, LabelMatcher } from './types';

const IMAGE_SUFFIX = /_leftImg8bit\.(png|jpe?g|webp)$/i;
const LABEL_SUFFIX = /_gtFine_(labelIds|labelTrainIds)\.png$/;
const LABEL_NAME = /^(.+)_(\d+)_(\d+)_gtFine_(labelIds|labelTrainIds)\.png$/;
const IMAGE_NAME = /^(.+)_(\d+)_(\d+)_leftImg8bit\.[^.]+$/i;

function labelEncoding(labelRel: string): LabelEncoding {
  return { kind: 'value', mapping: labelRel.endsWith('_labelTrainIds.png') ? CITYSCAPES_TRAIN_IDS : CITYSCAPES_LABEL_IDS };
}

function labelRank(labelRel: string): number {
  return labelRel.endsWith('_labelIds.png') ? 0 : 1;
}

function classifyGtFine(rel: string): FileRole {
  if (!rel.startsWith('gtFine/')) return 'skip';
  return LABEL_SUFFIX.test(rel) ? 'label' : 'skip';
}

const enterTop = (allowed: readonly string[]) => (rel: string): boolean => {
  const slash = rel.indexOf('/');
  return allowed.includes(slash < 0 ? rel : rel.slice(0, slash));
};

export function cityscapesReader(): FormatReader {
  const classify = (rel: string): FileRole => {
    if (rel.startsWith('leftImg8bit/')) {
      if (IMAGE_SUFFIX.test(rel)) return 'image';
      return hasImageExtension(rel) ? 'skip' : 'not_image';
    }
    return classifyGtFine(rel);
  };
  return {
    format: 'cityscapes',
    expectsLabels: true,
    classify,
    enterDir: enterTop(['leftImg8bit', 'gtFine']),
    classifyLabelTree: classify,
    imageKeys: (rel) => [rel.slice('leftImg8bit/'.length).replace(IMAGE_SUFFIX, '')],
    labelKeys: (rel) => [rel.slice('gtFine/'.length).replace(LABEL_SUFFIX, '')],
    labelRank,
    labelEncoding,
  };
}

function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function parentName(rel: string): string {
  const parts = rel.split('/');
  return parts.length >= 2 ? parts[parts.length - 2]! : '';
}

/**
 * Matches frames of any folder to a Cityscapes ground-truth folder. A frame named like
 * Cityscapes (`{city}_{seq}_{frame}_leftImg8bit.*`) matches exactly; any other frame
 * matches by its folder name and the last number in its file name, so
 * `seq003/frame_000012.jpg` ↔ `gtFine/val/seq003/seq003_000003_000012_gtFine_labelIds.png`
 * (folder "seq003" = city, 12 = frame number; the split folder does not matter).
 */
export function groundTruthMatcher(): LabelMatcher {
  return {
    classifyLabelTree: classifyGtFine,
    enterLabelDir: enterTop(['gtFine']),
    imageKeys(imageRel) {
      const name = baseName(imageRel);
      const exact = IMAGE_NAME.exec(name);
      if (exact) return [`exact:${exact[1]}_${exact[2]}_${exact[3]}`, `loose:${exact[1]}|${Number(exact[3])}`];
      const numbers = name.replace(/\.[^.]*$/, '').match(/\d+/g);
      if (!numbers) return [];
      return [`loose:${parentName(imageRel)}|${Number(numbers[numbers.length - 1])}`];
    },
    labelKeys(labelRel) {
      const m = LABEL_NAME.exec(baseName(labelRel));
      if (!m) return [];
      return [`exact:${m[1]}_${m[2]}_${m[3]}`, `loose:${m[1]}|${Number(m[3])}`];
    },
    labelRank,
    labelEncoding,
  };
}
