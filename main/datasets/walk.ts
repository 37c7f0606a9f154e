/**
 * Lists a dataset folder fast: one readdir per folder (entry types come with it), and a
 * stat only for files the caller asks about (on a rescan, those already indexed; a first
 * scan stats nothing — in Node 20 a stat costs several times a readdir entry). Entries come
 * back in natural order, folder by folder, so the listing order is the frame order.
 * Problems become issues; a single bad entry never throws.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
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

interface PendingDir {
  readonly abs: string;
  readonly rel: string;
  readonly real: string;
}

class Walker<T> {
  readonly files: WalkedFile<T>[] = [];
  readonly issues: FileIssue[] = [];
  readonly unlistedDirs: string[] = [];
  /** Real paths of folders already listed: a link to one of them is a loop or a duplicate. */
  private readonly visited = new Set<string>();
  /** Linked folders wait until every real folder is listed, so a real path wins over a linked one. */
  private readonly linkedDirs: PendingDir[] = [];
  private sinceYield = 0;

  constructor(
    private readonly realRoot: string,
    private readonly options: WalkOptions<T>,
  ) {}

  async walk(): Promise<void> {
    await this.walkDir({ abs: this.realRoot, rel: '', real: this.realRoot });
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
    const entries = this.list(dir);
    if (!entries) return;
    const prefix = dir.rel === '' ? '' : `${dir.rel}/`;
    for (const entry of entries) {
      const name = entry.name;
      // Hidden entries are tool state (.git, .DS_Store, ._AppleDouble), never frames.
      if (name.startsWith('.')) continue;
      const rel = prefix + name;
      if (name.includes('\\')) {
        // Legal on POSIX, but a separator on Windows: path checks refuse it everywhere.
        if (entry.isDirectory() || this.options.classify(rel) !== null) this.report(rel, 'bad_name', 'name contains a backslash; skipped');
        continue;
      }
      const abs = `${dir.abs}${sep}${name}`;
      if (entry.isDirectory()) {
        if (this.options.enterDir && !this.options.enterDir(rel)) continue;
        await this.walkDir({ abs, rel, real: `${dir.real}${sep}${name}` });
      } else if (entry.isFile()) {
        this.addFile(abs, rel);
      } else if (entry.isSymbolicLink()) {
        this.followLink(abs, rel);
      } else if (this.options.classify(rel) !== null) {
        this.report(rel, 'unreadable', 'not a regular file (a FIFO, socket or device); skipped');
      }
      if (++this.sinceYield >= YIELD_EVERY) {
        this.sinceYield = 0;
        // Let cancellation, progress events and other requests through between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
        throwIfCancelled(this.options.signal);
        this.options.onProgress?.(this.files.length);
      }
    }
  }

  /** Natural-sorted entries of a folder with valid UTF-8 names; null when the folder cannot be read. */
  private list(dir: PendingDir): Dirent[] | null {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir.abs, { withFileTypes: true });
    } catch (err) {
      this.unlistedDirs.push(dir.rel);
      this.report(dir.rel || '.', 'unreadable', `cannot list folder (${codeOf(err)})`);
      return null;
    }
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

  private addFile(abs: string, rel: string): void {
    const tag = this.options.classify(rel);
    if (tag === null) return;
    if (this.options.needsStat && !this.options.needsStat(rel, tag)) {
      this.files.push({ rel, size: NOT_STATED, mtimeMs: NOT_STATED, tag });
      return;
    }
    try {
      this.files.push({ rel, ...stampOf(statSync(abs)), tag });
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
      this.addFile(abs, rel);
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
    this.linkedDirs.push({ abs, rel, real });
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
