/**
 * CARLA semantic-segmentation camera output. Layouts accepted (folder names are
 * case-insensitive, and may repeat under episode folders):
 *   rgb/ + semantic/                 (common in recent CARLA data-collection scripts)
 *   CameraRGB/ + CameraSemSeg/       (the CARLA 0.8 client's `_out/episode_NNNN/` layout)
 *   images/ + labels/                (when the label content says CARLA, not GTA5)
 * plus image folders `camera_rgb`, `image` and label folders `semantic_segmentation`,
 * `semseg`, `seg`, `camera_semseg`. Same file stem in both folders.
 * Encodings: raw tags in the red channel (save_to_disk without a converter), either tag
 * set, or the CityScapesPalette converter's colours.
 */
import { CARLA_LEGACY_TAGS, CARLA_TAGS, CITYSCAPES_COLOURS } from '../taxonomy';
import type { DecodedPng } from '../pngDecode';
import { siblingLayoutReader, type SiblingLayoutSpec } from './siblingLayout';
import type { DatasetFormat, FormatReader } from './types';

export type CarlaFormat = Extract<DatasetFormat, 'carla' | 'carla-legacy' | 'carla-palette'>;

export const CARLA_IMAGE_DIRS = ['rgb', 'camerargb', 'camera_rgb', 'images', 'image'] as const;
export const CARLA_LABEL_DIRS = [
  ['semantic'],
  ['semantic_segmentation'],
  ['semseg'],
  ['seg'],
  ['camerasemseg'],
  ['camera_semseg'],
  ['labels'],
] as const;

export function carlaLayout(format: CarlaFormat): SiblingLayoutSpec {
  return {
    format,
    imageDirs: CARLA_IMAGE_DIRS,
    labelDirs: CARLA_LABEL_DIRS,
    encoding: () =>
      format === 'carla-palette'
        ? { kind: 'colour', mapping: CITYSCAPES_COLOURS }
        : { kind: 'value', mapping: format === 'carla' ? CARLA_TAGS : CARLA_LEGACY_TAGS },
  };
}

export function carlaReader(format: CarlaFormat): FormatReader {
  return siblingLayoutReader(carlaLayout(format));
}

/** Raw CARLA labels carry the tag in red and nothing in green and blue. */
export function looksLikeCarlaRaw(png: DecodedPng): boolean {
  if (png.colourType !== 2 && png.colourType !== 6) return false;
  const { samples, channels } = png;
  const step = Math.max(1, Math.floor(samples.length / channels / 4096));
  for (let p = 0; p < samples.length / channels; p += step) {
    const s = p * channels;
    if (samples[s + 1] !== 0 || samples[s + 2] !== 0 || samples[s]! > 28) return false;
  }
  return true;
}

/** Tags seen in a sample of raw labels: all of them, and those in the bottom quarter (where the road is). */
export interface CarlaTagSample {
  readonly present: ReadonlySet<number>;
  readonly bottom: ReadonlyMap<number, number>;
}

export function sampleCarlaTags(pngs: readonly DecodedPng[]): CarlaTagSample {
  const present = new Set<number>();
  const bottom = new Map<number, number>();
  for (const png of pngs) {
    const { samples, channels, width, height } = png;
    const bottomStart = Math.floor(height * 0.75) * width;
    for (let p = 0; p < width * height; p++) {
      const tag = samples[p * channels]!;
      present.add(tag);
      if (p >= bottomStart) bottom.set(tag, (bottom.get(tag) ?? 0) + 1);
    }
  }
  return { present, bottom };
}

/**
 * Picks the tag set. Tags above 12 exist only in 0.9.14+. Otherwise a version in the path
 * decides (".../CARLA_0.9.15/..."); otherwise the tag covering most of the bottom quarter
 * of the frames, which is road in a driving scene: 7 there means the old set (7 is traffic
 * light in 0.9.14+), 1 means 0.9.14+ (1 is building in the old set). Undecided → old set,
 * since a 0.9.14+ street scene nearly always shows a car (14) or another tag above 12.
 */
export function carlaTagSet(sample: CarlaTagSample, pathHint: string): { format: 'carla' | 'carla-legacy'; why: string } {
  const high = [...sample.present].filter((t) => t > 12).sort((a, b) => a - b);
  if (high.length > 0) return { format: 'carla', why: `tags above 12 present (${high.slice(0, 5).join(', ')}), which only the 0.9.14+ tag set defines` };
  const version = /0\.9\.(\d+)/.exec(pathHint);
  if (version) {
    const minor = Number(version[1]);
    return minor >= 14
      ? { format: 'carla', why: `path names CARLA 0.9.${minor}` }
      : { format: 'carla-legacy', why: `path names CARLA 0.9.${minor}, before the 0.9.14 tag change` };
  }
  let dominant = -1;
  let most = 0;
  for (const [tag, n] of sample.bottom) if (n > most) [dominant, most] = [tag, n];
  if (dominant === 7) return { format: 'carla-legacy', why: 'tag 7 covers the bottom of the frames: road in the old tag set' };
  if (dominant === 1) return { format: 'carla', why: 'tag 1 covers the bottom of the frames: road in the 0.9.14+ tag set' };
  return { format: 'carla-legacy', why: 'only tags 0–12 present, no version in the path; assuming the tag set before 0.9.14' };
}
