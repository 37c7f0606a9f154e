/** Format registry: the reader for a stored format name. */
import { carlaReader } from './carla';
import { cityscapesReader } from './cityscapes';
import { folderReader } from './folder';
import { genericReader } from './generic';
import { gta5Reader } from './gta5';
import { synthiaReader } from './synthia';
import type { DatasetFormat, FormatReader } from './types';

export { DATASET_FORMATS, isDatasetFormat, type DatasetFormat, type FormatReader, type LabelMatcher } from './types';
export { detectFormat, type Detection, type DetectedFormat } from './detect';
export { groundTruthMatcher } from './cityscapes';

/** Generic datasets read classes.json here, so a bad mapping fails before any file is indexed. */
export function openFormat(format: DatasetFormat, root: string): FormatReader {
  switch (format) {
    case 'gta5':
      return gta5Reader();
    case 'cityscapes':
      return cityscapesReader();
    case 'carla':
    case 'carla-legacy':
    case 'carla-palette':
      return carlaReader(format);
    case 'synthia':
      return synthiaReader();
    case 'generic':
      return genericReader(root);
    case 'folder':
      return folderReader();
  }
}
