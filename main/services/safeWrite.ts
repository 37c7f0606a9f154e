import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../common/errors';

/** ENOSPC and EDQUOT from Node's fs, SQLITE_FULL from better-sqlite3: all mean "no room left". */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

export function diskFullError(path: string): AppError {
  return new AppError('DISK_FULL', `${path}: the disk is full, so this file was not written; free some space and try again`);
}

/**
 * Writes `body` to `path` through a temporary file and a rename, so readers see the old file or
 * the new one, never half of one. A failed write (disk full, above all) removes its temporary
 * file, which would otherwise hold on to the very space that ran out, and says which file.
 */
export function writeFileAtomicSync(path: string, body: Buffer | string): void {
  const tmp = tempName(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw isDiskFull(err) ? diskFullError(path) : err;
  }
}

export async function writeFileAtomic(path: string, body: Buffer | string): Promise<void> {
  const tmp = tempName(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, body);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw isDiskFull(err) ? diskFullError(path) : err;
  }
}

let counter = 0;

function tempName(path: string): string {
  // pid + counter: two writes of one file in flight at once (overlapping commits) never share a temp file.
  return `${path}.${process.pid}.${++counter}.tmp`;
}
