/**
 * Everything validation reads from one frame, with synchronous calls: the files' stamps,
 * the image header (size, truncation), and the label decoded in full — its size against the
 * image, values the format does not define, and exact per-class pixel counts. Meant for the
 * worker threads of FrameChecker (frameChecker.ts), where synchronous I/O costs a few
 * microseconds a call against tens for each promise round trip and blocks nothing else.
 * Pure data in and out, so requests and results cross the thread boundary as they are.
 */
import { statSync } from 'node:fs';
import type { FrameStatus } from './frameStore';
import { ImageProblem, readImageHeader } from './imageHeader';
import { issue, type FileIssue } from './issues';
import { describeUnknown, readLabelCountsSync, type LabelCounts, type LabelEncoding } from './labelDecode';
import { PngError } from './pngDecode';
import { NOT_STATED, stampOf } from './walk';

export interface CheckItem {
  /** The frame's path as issues name it (relative to the dataset root). */
  readonly rel: string;
  readonly imagePath: string;
  readonly labelPath: string | null;
  /** How the label's path shows in issues. */
  readonly labelShown: string | null;
  /** Index into the batch's encodings. */
  readonly encoding: number;
}

export interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface FrameCheck {
  readonly image: Stamp;
  readonly label: Stamp | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly status: FrameStatus;
  readonly histogram: number[] | null;
  readonly issues: FileIssue[];
}

export function checkFrame(item: CheckItem, encodings: readonly LabelEncoding[]): FrameCheck {
  const issues: FileIssue[] = [];
  // Stamped before reading (the image from its open descriptor), so a file replaced meanwhile looks changed to the next rescan.
  const label = item.labelPath === null ? null : stampAt(item.labelPath);
  const header = readImageHeader(item.imagePath);
  const verdict = { image: { size: header.size, mtimeMs: header.mtimeMs }, label };
  if (!header.info) {
    const problem = header.problem ?? { code: 'not_an_image' as const, message: 'unreadable image' };
    issues.push(issue(item.rel, problem.code, `image: ${problem.message}`));
    return { ...verdict, width: null, height: null, status: 'bad_image', histogram: null, issues };
  }
  const { width, height } = header.info;
  if (item.labelPath === null) return { ...verdict, width, height, status: 'ok', histogram: null, issues };
  const shown = item.labelShown ?? item.labelPath;
  let pixels: LabelCounts;
  try {
    pixels = readLabelCountsSync(item.labelPath, encodings[item.encoding]!);
  } catch (err) {
    issues.push(problemIssue(item.rel, `label ${shown}`, err));
    return { ...verdict, width, height, status: 'bad_label', histogram: null, issues };
  }
  if (pixels.width !== width || pixels.height !== height) {
    issues.push(issue(item.rel, 'size_mismatch', `label ${shown} is ${pixels.width}x${pixels.height}, the image is ${width}x${height}`));
    return { ...verdict, width, height, status: 'bad_label', histogram: null, issues };
  }
  if (pixels.unknown.length > 0) {
    // No format defines a value above 255: such values mean a 16-bit file of scaled 8-bit ids.
    const deep = pixels.unknown.some((u) => Number(u.value) > 255) ? ' (a 16-bit label whose values go above 255, where one 8-bit id per pixel is expected)' : '';
    issues.push(issue(item.rel, 'unknown_label_values', `label ${shown} has values with no class, read as ignore: ${describeUnknown(pixels.unknown)}${deep}`));
  }
  return { ...verdict, width, height, status: 'ok', histogram: pixels.histogram, issues };
}

function stampAt(path: string): Stamp {
  try {
    return stampOf(statSync(path));
  } catch {
    return { size: NOT_STATED, mtimeMs: NOT_STATED };
  }
}

/** Maps a read/decode failure of a label (`about`: "label PATH") to an issue recorded against the frame. */
function problemIssue(frameRel: string, about: string, err: unknown): FileIssue {
  if (err instanceof ImageProblem) return issue(frameRel, err.code, `${about}: ${err.message}`);
  if (err instanceof PngError) {
    if (err.kind === 'truncated') return issue(frameRel, 'truncated', `${about}: ${err.message} (truncated)`);
    if (err.kind === 'not_png') return issue(frameRel, 'not_an_image', `${about}: not a PNG file`);
    if (err.kind === 'too_large') return issue(frameRel, 'too_large', `${about}: ${err.message}`);
    return issue(frameRel, 'not_an_image', `${about}: unreadable PNG (${err.message})`);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code) return issue(frameRel, 'unreadable', `${about}: cannot read (${code})`);
  return issue(frameRel, 'not_an_image', `${about}: ${(err as Error).message ?? String(err)}`);
}
