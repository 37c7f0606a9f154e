import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AppError } from '../../common/errors';

/** ENOSPC and EDQUOT from Node's fs, SQLITE_FULL from better-sqlite3: all mean "no room left". */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

export function diskFullError(path: string): AppError {
  return new AppError('DISK_FULL', `${path}: the disk is full, so this file was not written; free some space and try again`);
}

/** Errors of a path the user chose (not there, not a folder, not allowed), as a message naming it. */
const USER_PATH_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

function writeError(path: string, err: unknown): unknown {
  if (isDiskFull(err)) return diskFullError(path);
  const code = (err as NodeJS.ErrnoException).code;
  if (code && USER_PATH_ERRORS.has(code)) return new AppError('BAD_REQUEST', `${path}: cannot be written (${code})`);
  return err;
}

/**
 * mkdir -p, one level at a time. Node's recursive mode spins forever where a parent exists but
 * refuses children with ENOENT (anything below /proc): an export to "/proc/x/y" hung the app.
 */
export function makeDirsSync(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Writes `body` to `path` through a temporary file and a rename, so readers see the old file or
 * the new one, never half of one. A failed write (disk full, above all) removes its temporary
 * file, which would otherwise hold on to the very space that ran out, and says which file:
 * DISK_FULL, or BAD_REQUEST where the path itself is the problem (not a folder, not allowed).
 */
export function writeFileAtomicSync(path: string, body: Buffer | string): void {
  const tmp = tempName(path);
  try {
    makeDirsSync(dirname(path));
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw writeError(path, err);
  }
}

export async function writeFileAtomic(path: string, body: Buffer | string): Promise<void> {
  const tmp = tempName(path);
  try {
    makeDirsSync(dirname(path));
    await writeFile(tmp, body);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw writeError(path, err);
  }
}

/** The temp file may never have existed, or its folder may be what failed: its error is not the one to report. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing to remove
  }
}

let counter = 0;

function tempName(path: string): string {
  // pid + counter: two writes of one file in flight at once (overlapping commits) never share a temp file.
  return `${path}.${process.pid}.${++counter}.tmp`;
}
