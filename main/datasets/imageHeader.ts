/**
 * Width and height straight from PNG / JPEG / WebP headers, plus a cheap check that the
 * file reaches its end marker. Reading a few hundred bytes is far cheaper than asking
 * libvips for metadata, and it tells a truncated copy from a good one without decoding.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { exceedsPixelLimit, tooLargeMessage } from './imageLimits';
import { PngError, readPngHeader } from './pngDecode';
import { NOT_STATED, stampOf } from './walk';

export type ImageKind = 'png' | 'jpeg' | 'webp';

export interface ImageInfo {
  readonly kind: ImageKind;
  readonly width: number;
  readonly height: number;
}

export type ImageProblemCode = 'empty' | 'truncated' | 'not_an_image' | 'unreadable' | 'too_large';

export class ImageProblem extends Error {
  constructor(
    readonly code: ImageProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageProblem';
  }
}

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

const HEAD_BYTES = 4096;
/** How far from the end an end marker may sit (some cameras append a few bytes after EOI). */
const TAIL_BYTES = 64;

/** What reading a frame's header found: its stamp, and its size or what is wrong with it. */
export interface HeaderReading {
  /** Taken from the open file before reading (NOT_STATED when it could not be opened). */
  readonly size: number;
  readonly mtimeMs: number;
  readonly info: ImageInfo | null;
  readonly problem: { readonly code: ImageProblemCode; readonly message: string } | null;
}

/**
 * Reads the header and tail of an image file with synchronous calls: a few microseconds each,
 * against tens for each round trip of the promise API (bench/README.md §4), so it is meant for
 * FrameChecker's worker threads (frameChecker.ts), where blocking on a slow disk holds up nothing else.
 */
export function readImageHeader(path: string): HeaderReading {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { size: NOT_STATED, mtimeMs: NOT_STATED, info: null, problem: { code: 'unreadable', message: `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})` } };
  }
  let stamp = { size: NOT_STATED, mtimeMs: NOT_STATED };
  try {
    const st = fstatSync(fd);
    stamp = stampOf(st);
    const info = imageInfo(fd, st.size);
    return { ...stamp, info, problem: null };
  } catch (err) {
    if (err instanceof ImageProblem) return { ...stamp, info: null, problem: { code: err.code, message: err.message } };
    return { ...stamp, info: null, problem: { code: 'unreadable', message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})` } };
  } finally {
    closeSync(fd);
  }
}

function imageInfo(fd: number, size: number): ImageInfo {
  if (size === 0) throw new ImageProblem('empty', 'file is empty (0 bytes)');
  const head = readAt(fd, 0, Math.min(HEAD_BYTES, size));
  const tailStart = Math.max(0, size - TAIL_BYTES);
  const tail = readAt(fd, tailStart, size - tailStart);
  const info = isPng(head) ? pngInfo(head, tail) : isJpeg(head) ? jpegInfo(fd, head, tail, size) : isWebp(head) ? webpInfo(head, size) : null;
  if (!info) throw new ImageProblem('not_an_image', 'content is not PNG, JPEG or WebP');
  // Caught here, from the header, so no later step (thumbnail, inference) tries to decode it.
  if (exceedsPixelLimit(info.width, info.height)) throw new ImageProblem('too_large', tooLargeMessage(info.width, info.height));
  return info;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const bytesRead = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function isPng(head: Buffer): boolean {
  return head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a;
}

function isJpeg(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

function isWebp(head: Buffer): boolean {
  return head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP';
}

function pngInfo(head: Buffer, tail: Buffer): ImageInfo {
  let header;
  try {
    header = readPngHeader(head);
  } catch (err) {
    if (err instanceof PngError && err.kind === 'truncated') throw new ImageProblem('truncated', 'PNG ends inside its header');
    if (err instanceof PngError && err.kind === 'too_large') throw new ImageProblem('too_large', err.message);
    throw new ImageProblem('not_an_image', `broken PNG header (${(err as Error).message})`);
  }
  if (tail.indexOf('IEND', 0, 'latin1') < 0) throw new ImageProblem('truncated', 'PNG has no IEND chunk at its end (truncated)');
  return { kind: 'png', width: header.width, height: header.height };
}

/** Walks JPEG marker segments to the first start-of-frame; only segment headers are read. */
function jpegInfo(fd: number, head: Buffer, tail: Buffer, size: number): ImageInfo {
  let offset = 2;
  for (;;) {
    const marker = bytesAt(fd, head, offset, 4);
    if (marker.length < 4) throw new ImageProblem('truncated', 'JPEG ends before its frame header');
    if (marker[0] !== 0xff) throw new ImageProblem('not_an_image', `broken JPEG marker at byte ${offset}`);
    const code = marker[1]!;
    if (code === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (code === 0xd8 || code === 0x01 || (code >= 0xd0 && code <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    const length = marker.readUInt16BE(2);
    const isStartOfFrame = code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc;
    if (isStartOfFrame) {
      const frame = bytesAt(fd, head, offset, 9);
      if (frame.length < 9) throw new ImageProblem('truncated', 'JPEG ends inside its frame header');
      const height = frame.readUInt16BE(5);
      const width = frame.readUInt16BE(7);
      if (width === 0 || height === 0) throw new ImageProblem('not_an_image', `JPEG frame header says ${width}x${height}`);
      if (!hasJpegEnd(tail)) throw new ImageProblem('truncated', 'JPEG has no end-of-image marker (truncated)');
      return { kind: 'jpeg', width, height };
    }
    if (code === 0xd9 || code === 0xda) throw new ImageProblem('not_an_image', 'JPEG without a frame header');
    offset += 2 + length;
    if (offset >= size) throw new ImageProblem('truncated', 'JPEG ends before its frame header');
  }
}

function hasJpegEnd(tail: Buffer): boolean {
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

function bytesAt(fd: number, head: Buffer, offset: number, length: number): Buffer {
  if (offset + length <= head.length) return head.subarray(offset, offset + length);
  return readAt(fd, offset, length);
}

function webpInfo(head: Buffer, size: number): ImageInfo {
  const riffEnd = head.readUInt32LE(4) + 8;
  if (riffEnd > size) throw new ImageProblem('truncated', `WebP declares ${riffEnd} bytes but the file has ${size} (truncated)`);
  if (head.length < 30) throw new ImageProblem('truncated', 'WebP ends inside its header');
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    return { kind: 'webp', width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const b = head.subarray(21, 25);
    const width = 1 + (b[0]! | ((b[1]! & 0x3f) << 8));
    const height = 1 + ((b[1]! >> 6) | (b[2]! << 2) | ((b[3]! & 0x0f) << 10));
    return { kind: 'webp', width, height };
  }
  if (chunk === 'VP8X') {
    return { kind: 'webp', width: 1 + head.readUIntLE(24, 3), height: 1 + head.readUIntLE(27, 3) };
  }
  throw new ImageProblem('not_an_image', `unknown WebP chunk ${JSON.stringify(chunk)}`);
}
