/**
 * The index pass: list the dataset (and its attached ground truth), pair images with
 * labels, and bring the project in line — new files listed (frameListing.ts: compact runs
 * of paths; each gets its frame row when validation reads it), vanished files removed,
 * files whose size and mtime are unchanged left alone, changed ones sent back to
 * validation. Only files already indexed are stat'ed (to see whether they changed); new
 * ones are recorded by name and get their size and mtime from the validation pass, which
 * opens them anyway to read headers and labels.
 *
 * Changes to existing frames go in batched transactions, so a cancelled or crashed scan
 * keeps every batch it committed; the listing of new files is one short transaction at
 * the end. Frames below a folder that could not be listed are kept (an unplugged drive or
 * a permission change is not a deletion).
 */
import { relative } from 'node:path';
import { throwIfCancelled, type JobContext } from '../jobs/jobContext';
import type { FormatReader, LabelMatcher } from './formats/types';
import { listedFrames, type FrameListing, type ListedFrame, type ListedFrames } from './frameListing';
import { type FrameStore, type DatasetRow, type FrameFacts, type FrameStamp } from './frameStore';
import { issue, type FileIssue } from './issues';
import { pairImagesWithLabels } from './pairing';
import { NOT_STATED, walkTree, type WalkedFile } from './walk';

export interface IndexSummary {
  readonly frames: number;
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Issues found by this pass (listing, pairing, empty files). */
  readonly issues: number;
}

export interface ScanTarget {
  readonly dataset: DatasetRow;
  readonly reader: FormatReader;
  /** Ground truth attached from another folder, replacing the format's own labels. */
  readonly groundTruth: { readonly root: string; readonly matcher: LabelMatcher } | null;
}

/** Frames per index transaction: what a cancel keeps, and how long the event loop is held at a time. */
export const INDEX_BATCH = 2000;

type Role = 'image' | 'label' | 'not_image';

export async function indexDataset(store: FrameStore, frameListing: FrameListing, target: ScanTarget, ctx: JobContext): Promise<IndexSummary> {
  const { dataset, reader, groundTruth } = target;
  ctx.progress(0, 0, 'listing files');
  const stamps = store.stamps(dataset.id);
  const knownLabels = new Set<string>();
  for (const stamp of stamps.values()) if (stamp[3] !== null) knownLabels.add(stamp[3]);
  const listing = await walkTree<Role>(dataset.root, {
    signal: ctx.signal,
    classify: (rel) => {
      const role = reader.classify(rel);
      if (role === 'skip' || (role === 'label' && groundTruth)) return null;
      return role;
    },
    // A first scan knows no file: no lookup (hashing 100k paths) per file.
    needsStat: stamps.size === 0 ? () => false : (rel, role) => (role === 'image' ? stamps.has(rel) : role === 'label' && knownLabels.has(rel)),
    enterDir: reader.enterDir ? (rel) => reader.enterDir!(rel) : undefined,
    onProgress: (n) => ctx.progress(n, 0, 'listing files'),
  });
  const images: WalkedFile<Role>[] = [];
  let labels: WalkedFile<unknown>[] = [];
  const issues: FileIssue[] = [...listing.issues];
  for (const f of listing.files) {
    if (f.tag === 'image') images.push(f);
    else if (f.tag === 'label') labels.push(f);
    else issues.push(issue(f.rel, 'not_an_image', 'not a PNG, JPEG or WebP file; skipped'));
  }

  let matcher: LabelMatcher = reader;
  let labelDisplay = (rel: string): string => rel;
  if (groundTruth) {
    const gtPrefix = toPosix(relative(dataset.root, groundTruth.root));
    const gtListing = await walkTree<'label'>(groundTruth.root, {
      signal: ctx.signal,
      classify: (rel) => (groundTruth.matcher.classifyLabelTree(rel) === 'label' ? 'label' : null),
      enterDir: groundTruth.matcher.enterLabelDir,
      needsStat: (rel) => knownLabels.has(rel),
      issuePrefix: `${gtPrefix}/`,
    });
    issues.push(...gtListing.issues);
    labels = gtListing.files;
    matcher = groundTruth.matcher;
    labelDisplay = (rel) => `${gtPrefix}/${rel}`;
  }
  const pairing = pairImagesWithLabels(images, labels, matcher, {
    expectsLabels: reader.expectsLabels && !groundTruth,
    labelDisplay,
  });
  const frameIssues = new Map<string, FileIssue[]>();
  const detached: FileIssue[] = [];
  const found = [...issues, ...pairing.issues];
  // Most scans have no issues at all: skip the set of 100k paths they would need.
  const imageRels = found.length > 0 ? new Set(images.map((i) => i.rel)) : null;
  for (const i of found) {
    if (!imageRels!.has(i.relPath)) {
      detached.push(i);
      continue;
    }
    const list = frameIssues.get(i.relPath);
    if (list) list.push(i);
    else frameIssues.set(i.relPath, [i]);
  }
  const summary = await store.bulk(async () => {
    const synced = await syncFrames(store, frameListing, dataset.id, stamps, { images, labels: pairing.labels }, frameIssues, detached, listing.unlistedDirs, ctx);
    // Inside the bulk write, so this commit does not trigger the checkpoint the validation pass starts with.
    store.markScanned(dataset.id);
    return synced;
  });
  return { ...summary, issues: found.length };
}

function facts(image: WalkedFile<Role>, label: WalkedFile<unknown> | null, sortKey: number): FrameFacts {
  return {
    rel: image.rel,
    size: image.size,
    mtimeMs: image.mtimeMs,
    labelRel: label?.rel ?? null,
    labelSize: label?.size ?? null,
    labelMtimeMs: label?.mtimeMs ?? null,
    sortKey,
    status: 'pending',
  };
}

/**
 * Whether an indexed frame can keep what was read from it. A file the validation pass has
 * not stamped yet (NOT_STATED) is unchanged only while it still waits for that pass; a
 * frame whose read failed is retried, since permissions or the file may have been fixed.
 */
function stillValid(stamp: FrameStamp, f: FrameFacts): boolean {
  const [, size, mtimeMs, labelRel, labelSize, labelMtimeMs, , status] = stamp;
  if (labelRel !== f.labelRel) return false;
  const imageSame = size === NOT_STATED ? status === 'pending' : size === f.size && mtimeMs === f.mtimeMs;
  if (!imageSame || labelRel === null) return imageSame;
  return labelSize === null || labelSize === NOT_STATED ? status === 'pending' : labelSize === f.labelSize && labelMtimeMs === f.labelMtimeMs;
}

async function syncFrames(
  store: FrameStore,
  listing: FrameListing,
  datasetId: number,
  stamps: Map<string, FrameStamp>,
  found: { readonly images: readonly WalkedFile<Role>[]; readonly labels: readonly (WalkedFile<unknown> | null)[] },
  frameIssues: ReadonlyMap<string, FileIssue[]>,
  detached: readonly FileIssue[],
  unlistedDirs: readonly string[],
  ctx: JobContext,
): Promise<Omit<IndexSummary, 'issues'>> {
  const { images, labels } = found;
  // Listed frames not validated yet: a rescan sees them again rather than as new.
  const waiting = listing.waiting(datasetId);
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  let keptWaiting = 0;
  let removedWaiting = 0;
  let listed: ListedFrames;
  if (stamps.size === 0 && waiting.size === 0) {
    // A first scan: every frame is new, so the walk's own arrays are the listing (no object per frame).
    listed = { length: images.length, rel: (i) => images[i]!.rel, labelRel: (i) => labels[i]?.rel ?? null, sortKey: (i) => i };
    added = images.length;
    ctx.progress(images.length, images.length, 'indexing');
  } else {
    const fresh: ListedFrame[] = [];
    for (let start = 0; start < images.length; start += INDEX_BATCH) {
      throwIfCancelled(ctx.signal);
      const end = Math.min(start + INDEX_BATCH, images.length);
      store.transaction(() => {
        for (let i = start; i < end; i++) {
          const f = facts(images[i]!, labels[i] ?? null, i);
          const stamp = stamps.get(f.rel);
          if (!stamp) {
            fresh.push(f);
            if (!waiting.has(f.rel)) added++;
            else if (waiting.get(f.rel) === f.labelRel) unchanged++;
            else updated++;
            waiting.delete(f.rel);
            continue;
          }
          stamps.delete(f.rel);
          const [id, , , , , , sortKey] = stamp;
          if (!stillValid(stamp, f)) {
            store.updateFrame(datasetId, id, f);
            store.putIssues(datasetId, frameIssues.get(f.rel) ?? []);
            updated++;
          } else {
            if (sortKey !== f.sortKey) store.moveFrame(id, f.sortKey);
            unchanged++;
          }
        }
      });
      ctx.progress(end, images.length, 'indexing');
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Waiting frames not seen again are gone too, unless their folder could not be listed:
    // those stay, last (order among frames of an unreadable folder matters little).
    for (const [rel, labelRel] of waiting) {
      if (isBelow(rel, unlistedDirs)) fresh.push({ rel, labelRel, sortKey: images.length + keptWaiting++ });
      else removedWaiting++;
    }
    listed = listedFrames(fresh);
  }
  // Whatever is left was not seen: gone, unless its folder could not be listed.
  const gone = [...stamps].filter(([rel]) => !isBelow(rel, unlistedDirs));
  let removed = removedWaiting;
  for (let start = 0; start < gone.length; start += INDEX_BATCH) {
    throwIfCancelled(ctx.signal);
    store.transaction(() => {
      for (const [rel, stamp] of gone.slice(start, start + INDEX_BATCH)) {
        store.removeFrame(stamp[0]);
        store.clearIssuesOf(datasetId, rel);
        removed++;
      }
    });
  }
  throwIfCancelled(ctx.signal);
  // The listing is complete, so issues about files without a frame row are replaced wholesale.
  store.transaction(() => {
    store.dropDetachedIssues(datasetId);
    store.putIssues(datasetId, detached);
    listing.replace(datasetId, listed);
    if (frameIssues.size > 0) for (let i = 0; i < listed.length; i++) store.putIssues(datasetId, frameIssues.get(listed.rel(i)) ?? []);
  });
  return { frames: images.length + (stamps.size - gone.length) + keptWaiting, added, updated, removed, unchanged };
}

function isBelow(rel: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => dir === '' || rel.startsWith(`${dir}/`));
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}
