/**
 * Joins images to label files through the keys a format (or a ground-truth matcher)
 * derives from their paths. Works on whole listings, so images and labels may come
 * from different folders, in any order.
 */
import type { LabelMatcher } from './formats/types';
import { issue, type FileIssue } from './issues';
import type { WalkedFile } from './walk';

export interface PairingOptions {
  /** Report images without a label (a labelled format); false for partial held-out ground truth. */
  readonly expectsLabels: boolean;
  /** How label paths read in issues (ground truth lives outside the dataset folder). */
  readonly labelDisplay?: (labelRel: string) => string;
}

export interface Pairing<L> {
  /** Label per image, by image index; null when none. */
  readonly labels: (WalkedFile<L> | null)[];
  readonly issues: FileIssue[];
}

export function pairImagesWithLabels<I, L>(
  images: readonly WalkedFile<I>[],
  labels: readonly WalkedFile<L>[],
  matcher: LabelMatcher,
  options: PairingOptions,
): Pairing<L> {
  const byKey = new Map<string, WalkedFile<L>[]>();
  for (const label of labels) {
    for (const key of matcher.labelKeys(label.rel)) {
      const list = byKey.get(key);
      if (list) list.push(label);
      else byKey.set(key, [label]);
    }
  }
  const show = options.labelDisplay ?? ((rel: string) => rel);
  const accounted = new Set<string>();
  const issues: FileIssue[] = [];
  const result = images.map((image): WalkedFile<L> | null => {
    for (const key of matcher.imageKeys(image.rel)) {
      const list = byKey.get(key);
      if (!list) continue;
      for (const l of list) accounted.add(l.rel);
      const bestRank = Math.min(...list.map((l) => matcher.labelRank(l.rel)));
      const best = list.filter((l) => matcher.labelRank(l.rel) === bestRank);
      if (best.length === 1) return best[0]!;
      issues.push(issue(image.rel, 'ambiguous_label', `${best.length} label files match equally well (${best.slice(0, 3).map((l) => show(l.rel)).join(', ')}); none attached`));
      return null;
    }
    if (options.expectsLabels) issues.push(issue(image.rel, 'missing_label', 'no label file for this image'));
    return null;
  });
  for (const label of labels) {
    if (!accounted.has(label.rel)) issues.push(issue(show(label.rel), 'missing_image', 'label file without an image'));
  }
  return { labels: result, issues };
}
