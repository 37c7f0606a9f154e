/**
 * The common "two sibling folders" layout: an image folder and a label folder holding the
 * same file stems, possibly repeated under episode/sequence folders
 * (`ep01/CameraRGB/000123.png` ↔ `ep01/CameraSemSeg/000123.png`). GTA5, SYNTHIA, CARLA
 * and generic datasets differ only in folder names and label encoding.
 */
import { hasImageExtension } from '../imageHeader';
import type { LabelEncoding } from '../labelDecode';
import { extensionOf, withoutExtension, type DatasetFormat, type FileRole, type FormatReader } from './types';

export interface SiblingLayoutSpec {
  readonly format: DatasetFormat;
  /** Lower-case folder names that hold images. */
  readonly imageDirs: readonly string[];
  /** Lower-case folder paths (one or more segments) that hold label PNGs. */
  readonly labelDirs: readonly (readonly string[])[];
  encoding(labelRel: string): LabelEncoding;
}

interface Zone {
  readonly role: 'image' | 'label';
  /** Segments before the zone folder: the shared prefix of an image and its label. */
  readonly prefix: string;
  /** Path below the zone folder, without extension. */
  readonly stem: string;
}

function findZone(rel: string, spec: SiblingLayoutSpec): Zone | null {
  const segments = rel.split('/');
  // The last segment is the file itself, never a zone folder.
  for (let i = 0; i < segments.length - 1; i++) {
    const lower = segments[i]!.toLowerCase();
    for (const dir of spec.labelDirs) {
      if (i + dir.length >= segments.length) continue;
      if (dir.every((part, k) => segments[i + k]!.toLowerCase() === part)) {
        return zone('label', segments, i, dir.length);
      }
    }
    if (spec.imageDirs.includes(lower)) return zone('image', segments, i, 1);
  }
  return null;
}

function zone(role: Zone['role'], segments: string[], start: number, length: number): Zone {
  return {
    role,
    prefix: segments.slice(0, start).join('/'),
    stem: withoutExtension(segments.slice(start + length).join('/')),
  };
}

export function siblingLayoutReader(spec: SiblingLayoutSpec): FormatReader {
  const classify = (rel: string): FileRole => {
    const z = findZone(rel, spec);
    if (!z) return 'skip';
    if (z.role === 'image') return hasImageExtension(rel) ? 'image' : 'not_image';
    return extensionOf(rel) === '.png' ? 'label' : 'not_image';
  };
  const key = (rel: string): string[] => {
    const z = findZone(rel, spec);
    return z ? [`${z.prefix}|${z.stem}`] : [];
  };
  return {
    format: spec.format,
    expectsLabels: true,
    classify,
    classifyLabelTree: classify,
    imageKeys: key,
    labelKeys: key,
    labelRank: () => 0,
    labelEncoding: (rel) => spec.encoding(rel),
  };
}

/** True when `rel` lies in a folder this layout treats as images or labels. */
export function siblingZoneOf(rel: string, spec: SiblingLayoutSpec): 'image' | 'label' | null {
  return findZone(rel, spec)?.role ?? null;
}
