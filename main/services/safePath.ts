import { realpathSync } from 'node:fs';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { AppError } from '../../common/errors';

/**
 * Resolves `rel` inside `root` and proves the result stays there, after following
 * symlinks: `..`, encoded separators, absolute paths and links pointing out are refused.
 */
export function resolveInside(root: string, rel: string): string {
  if (rel.includes('\0')) throw forbidden(rel, 'contains a NUL byte');
  if (rel.includes('\\')) throw forbidden(rel, 'contains a backslash');
  if (isAbsolute(rel)) throw forbidden(rel, 'is absolute');
  const normal = normalize(rel);
  if (normal === '..' || normal.startsWith(`..${sep}`)) throw forbidden(rel, 'leaves the folder');
  const rootReal = realOrThrow(root);
  const target = resolve(rootReal, normal);
  if (!isWithin(rootReal, target)) throw forbidden(rel, 'leaves the folder');
  const targetReal = realOrThrow(target);
  if (!isWithin(rootReal, targetReal)) throw forbidden(rel, 'is a link that points outside the folder');
  return targetReal;
}

export function isWithin(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realOrThrow(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    throw new AppError('NOT_FOUND', `${path}: no such file`);
  }
}

function forbidden(rel: string, why: string): AppError {
  return new AppError('FORBIDDEN_PATH', `${JSON.stringify(rel.slice(0, 200))} ${why}`);
}
