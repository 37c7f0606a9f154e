/**
 * Lists a dataset folder fast: one readdir per folder (entry types come with it, as they do
 * for `find`), and a stat only for files the caller asks about (on a rescan, those already
 * indexed; a first scan stats nothing — in Node 20 a stat costs several times a readdir
 * entry). Entries come back in natural order, folder by folder, so the listing order is the
 * frame order. Problems become issues; a single bad entry never throws.
 *
 * Folder listings run on libuv's thread pool a few folders ahead of the one being processed
 * (`Prefetch`): the kernel's part of a listing, most of what `find` spends, then overlaps
 * with sorting and classifying on the main thread, and a cold disk's reads overlap each other.
 * On a quiet 2-core machine, 100k files: 139 → 96 ms warm, 211 → 179 ms cold (bench/README.md §4).
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { sep } from 'node:path';
import { AppError } from '../../common/errors';
import { throwIfCancelled } from '../jobs/jobContext';
import { issue, type FileIssue } from './issues';
import { sortNatural } from './naturalSort';

/** Size or mtime of a file that was not stat'ed. */
export const NOT_STATED = -1;

export interface WalkedFile<T> {
  /** Path below the walked root, '/'-separated. */
  readonly rel: string;
  /** NOT_STATED unless the caller asked for a stat. */
  readonly size: number;
  /** Rounded to whole milliseconds (tools that copy timestamps through seconds-as-float land within a hair of the original). */
  readonly mtimeMs: number;
  readonly tag: T;
}

export function stampOf(st: { size: number; mtimeMs: number }): { size: number; mtimeMs: number } {
  return { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
}

export interface WalkOptions<T> {
  readonly signal: AbortSignal;
  /** Returns null for files the caller does not want. */
  classify(rel: string): T | null;
  /** Whether a wanted file needs its size and mtime now; default: yes. */
  needsStat?(rel: string, tag: T): boolean;
  /** Folders (relative, '/'-separated) to enter; all when absent. */
  enterDir?(rel: string): boolean;
  onProgress?(filesSeen: number): void;
  /** Prepended to paths in issues, so problems in an attached folder read relative to the dataset. */
  readonly issuePrefix?: string;
}

export interface WalkResult<T> {
  readonly files: WalkedFile<T>[];
  readonly issues: FileIssue[];
  /** Folders that could not be listed: what was indexed below them must not be taken as deleted. */
  readonly unlistedDirs: string[];
}

const YIELD_EVERY = 2000;
/** Listings in flight or waiting to be processed: enough to keep the pool busy, few enough to bound memory. */
const PREFETCH = 4;

export async function walkTree<T>(root: string, options: WalkOptions<T>): Promise<WalkResult<T>> {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    if (!statSync(realRoot).isDirectory()) throw new Error('not a folder');
  } catch (err) {
    throw new AppError('BAD_DATASET', `${root}: cannot open the dataset folder (${(err as Error).message})`);
  }
  const walker = new Walker(realRoot, options);
  await walker.walk();
  return { files: walker.files, issues: walker.issues, unlistedDirs: walker.unlistedDirs };
}

type Listing = { readonly entries: Dirent[] } | { readonly error: unknown };

interface PendingDir {
  readonly name: string;
  readonly abs: string;
  readonly rel: string;
  readonly real: string;
  listing?: Promise<Listing>;
}

function startListing(dir: PendingDir): Promise<Listing> {
  // Settled into a value, so a prefetched listing nobody takes (cancelled walk) never rejects unhandled.
  return (dir.listing = readdir(dir.abs, { withFileTypes: true }).then(
    (entries) => ({ entries }),
    (error: unknown) => ({ error }),
  ));
}

/**
 * Starts listings in the order the depth-first walk will want them: subfolders of the
 * folder being processed first, then the rest of the enclosing folders' subfolders.
 */
class Prefetch {
  /** One array per folder being processed, innermost last; each holds its subfolders not yet entered. */
  private readonly levels: PendingDir[][] = [];
  private started = 0;

  push(subdirs: PendingDir[]): void {
    this.levels.push(subdirs);
    this.fill();
  }

  /** Leaves the innermost level (its folder is done). */
  pop(): void {
    this.levels.pop();
  }

  /** The listing of the next subfolder of the innermost level. */
  take(dir: PendingDir): Promise<Listing> {
    const level = this.levels[this.levels.length - 1];
    if (level?.[0] === dir) level.shift();
    if (dir.listing) this.started--;
    const listing = dir.listing ?? startListing(dir);
    this.fill();
    return listing;
  }

  private fill(): void {
    for (let l = this.levels.length - 1; l >= 0 && this.started < PREFETCH; l--) {
      for (const dir of this.levels[l]!) {
        if (this.started >= PREFETCH) return;
        if (dir.listing) continue;
        startListing(dir);
        this.started++;
      }
    }
  }
}

class Walker<T> {
  readonly files: WalkedFile<T>[] = [];
  readonly issues: FileIssue[] = [];
  readonly unlistedDirs: string[] = [];
  /** Real paths of folders already listed: a link to one of them is a loop or a duplicate. */
  private readonly visited = new Set<string>();
  /** Linked folders wait until every real folder is listed, so a real path wins over a linked one. */
  private readonly linkedDirs: PendingDir[] = [];
  private readonly prefetch = new Prefetch();
  private sinceYield = 0;

  constructor(
    private readonly realRoot: string,
    private readonly options: WalkOptions<T>,
  ) {}

  async walk(): Promise<void> {
    await this.walkDir({ name: '', abs: this.realRoot, rel: '', real: this.realRoot });
    while (this.linkedDirs.length > 0) {
      const next = this.linkedDirs.shift()!;
      if (this.visited.has(next.real)) {
        this.report(next.rel, 'symlink_loop', `link to ${this.describeReal(next.real)}, which is already indexed`);
        continue;
      }
      await this.walkDir(next);
    }
  }

  private report(rel: string, code: FileIssue['code'], problem: string): void {
    this.issues.push(issue(`${this.options.issuePrefix ?? ''}${rel}`, code, problem));
  }

  private describeReal(real: string): string {
    return real === this.realRoot ? 'the dataset folder itself' : `${real.slice(this.realRoot.length + 1).split(sep).join('/')}/`;
  }

  private async walkDir(dir: PendingDir): Promise<void> {
    this.visited.add(dir.real);
    const entries = this.sorted(dir, await this.prefetch.take(dir));
    if (!entries) return;
    const prefix = dir.rel === '' ? '' : `${dir.rel}/`;
    const subdirs = this.subdirsToEnter(dir, prefix, entries);
    this.prefetch.push(subdirs.slice());
    try {
      let nextSubdir = 0;
      for (const entry of entries) {
        const name = entry.name;
        // Hidden entries are tool state (.git, .DS_Store, ._AppleDouble), never frames.
        if (name.charCodeAt(0) === 46 /* . */) continue;
        if (name.includes('\\')) {
          // Legal on POSIX, but a separator on Windows: path checks refuse it everywhere.
          if (entry.isDirectory() || this.options.classify(prefix + name) !== null) this.report(prefix + name, 'bad_name', 'name contains a backslash; skipped');
          continue;
        }
        if (entry.isFile()) {
          this.addFile(dir.abs, prefix + name, name);
        } else if (entry.isDirectory()) {
          if (subdirs[nextSubdir]?.name === name) await this.walkDir(subdirs[nextSubdir++]!);
        } else if (entry.isSymbolicLink()) {
          this.followLink(`${dir.abs}${sep}${name}`, prefix + name);
        } else if (this.options.classify(prefix + name) !== null) {
          this.report(prefix + name, 'unreadable', 'not a regular file (a FIFO, socket or device); skipped');
        }
        if (++this.sinceYield >= YIELD_EVERY) {
          this.sinceYield = 0;
          // Let cancellation, progress events and other requests through between chunks.
          await new Promise<void>((resolve) => setImmediate(resolve));
          throwIfCancelled(this.options.signal);
          this.options.onProgress?.(this.files.length);
        }
      }
    } finally {
      this.prefetch.pop();
    }
  }

  /** The subfolders the walk will enter, in order (their listings can start now). */
  private subdirsToEnter(dir: PendingDir, prefix: string, entries: readonly Dirent[]): PendingDir[] {
    const out: PendingDir[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (!entry.isDirectory() || name.charCodeAt(0) === 46 || name.includes('\\')) continue;
      const rel = prefix + name;
      if (this.options.enterDir && !this.options.enterDir(rel)) continue;
      out.push({ name, abs: `${dir.abs}${sep}${name}`, rel, real: `${dir.real}${sep}${name}` });
    }
    return out;
  }

  /** Natural-sorted entries of a folder with valid UTF-8 names; null when the folder cannot be read. */
  private sorted(dir: PendingDir, listing: Listing): Dirent[] | null {
    if ('error' in listing) {
      this.unlistedDirs.push(dir.rel);
      this.report(dir.rel || '.', 'unreadable', `cannot list folder (${codeOf(listing.error)})`);
      return null;
    }
    let entries = listing.entries;
    // Node decodes invalid UTF-8 as U+FFFD; only then is the raw listing worth a second read.
    if (entries.some((e) => e.name.includes('\uFFFD'))) entries = this.dropBadNames(dir, entries);
    return sortNatural(entries, (e) => e.name);
  }

  private dropBadNames(dir: PendingDir, entries: Dirent[]): Dirent[] {
    let raw: Dirent<Buffer>[];
    try {
      raw = readdirSync(dir.abs, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return entries.filter((e) => !e.name.includes('\uFFFD'));
    }
    const bad = new Set<string>();
    for (const entry of raw) {
      if (isUtf8(entry.name)) continue;
      const shown = entry.name.toString('utf8');
      bad.add(shown);
      const prefix = dir.rel === '' ? '' : `${dir.rel}/`;
      const what = entry.isDirectory() ? 'folder name (not entered)' : 'file name';
      this.report(prefix + shown, 'bad_name', `${what} is not valid UTF-8; raw bytes (percent-encoded): ${percentEncode(entry.name)}`);
    }
    return entries.filter((e) => !bad.has(e.name));
  }

  /** `absDir` and `name` stay apart until a stat needs the joined path: most files never do. */
  private addFile(absDir: string, rel: string, name: string): void {
    const tag = this.options.classify(rel);
    if (tag === null) return;
    if (this.options.needsStat && !this.options.needsStat(rel, tag)) {
      this.files.push({ rel, size: NOT_STATED, mtimeMs: NOT_STATED, tag });
      return;
    }
    try {
      this.files.push({ rel, ...stampOf(statSync(`${absDir}${sep}${name}`)), tag });
    } catch (err) {
      this.report(rel, 'unreadable', `cannot stat (${codeOf(err)})`);
    }
  }

  private followLink(abs: string, rel: string): void {
    let real: string;
    let isDir: boolean;
    try {
      real = realpathSync(abs);
      isDir = statSync(real).isDirectory();
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ELOOP') this.report(rel, 'symlink_loop', 'symbolic link loops back on itself');
      else if (this.options.classify(rel) !== null || code !== 'ENOENT') this.report(rel, 'unreadable', `broken symbolic link (${code})`);
      return;
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      this.report(rel, 'outside_root', `symbolic link to ${real}, outside the dataset folder; add that folder instead`);
      return;
    }
    if (!isDir) {
      const slash = abs.lastIndexOf(sep);
      this.addFile(abs.slice(0, slash), rel, abs.slice(slash + 1));
      return;
    }
    if (this.options.enterDir && !this.options.enterDir(rel)) return;
    if (this.visited.has(real)) {
      const ancestor = real === this.realRoot || `${this.realRoot}${sep}${rel.split('/').join(sep)}`.startsWith(real + sep);
      this.report(
        rel,
        'symlink_loop',
        ancestor ? `link back to ${this.describeReal(real)}, an enclosing folder (a loop); not followed` : `link to ${this.describeReal(real)}, which is already indexed`,
      );
      return;
    }
    this.linkedDirs.push({ name: rel.slice(rel.lastIndexOf('/') + 1), abs, rel, real });
  }
}

function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err as Error).message ?? String(err);
}

function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x21 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
