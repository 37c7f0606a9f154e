/**
 * A size-limited folder, for full-disk tests: a tmpfs mount, else a loop-mounted ext4 image.
 * Both need root (or CAP_SYS_ADMIN); where neither works the caller gets the reason to skip with.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SmallDisk {
  readonly path: string;
  readonly how: string;
  /** Writes a filler file until the disk refuses more (ENOSPC). */
  fill(): void;
  free(): void;
  unmount(): void;
}

const FILLER = '.filler';

export function mountSmallDisk(at: string, bytes: number, imageDir: string): SmallDisk | { skip: string } {
  const reasons: string[] = [];
  const attempt = (how: string, run: () => void): SmallDisk | null => {
    try {
      run();
      return disk(at, how);
    } catch (err) {
      reasons.push(`${how}: ${firstLine(err)}`);
      return null;
    }
  };
  const tmpfs = attempt('tmpfs', () => execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', at], { stdio: 'pipe' }));
  if (tmpfs) return tmpfs;
  const image = join(imageDir, 'small-disk.img');
  const loop = attempt('loop-mounted ext4', () => {
    execFileSync('truncate', ['-s', String(Math.max(bytes, 1 << 20)), image], { stdio: 'pipe' });
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop', image, at], { stdio: 'pipe' });
  });
  if (loop) return loop;
  return { skip: `no size-limited folder could be made (${reasons.join('; ')})` };
}

function disk(path: string, how: string): SmallDisk {
  return {
    path,
    how,
    fill() {
      const fd = openSync(join(path, FILLER), 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // A last partial block may still fit: fill that too.
        try {
          for (;;) writeSync(fd, chunk.subarray(0, 512));
        } catch {
          // full now
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(join(path, FILLER), { force: true }),
    unmount: () => execFileSync('umount', ['-l', path], { stdio: 'pipe' }),
  };
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer; message?: string };
  return (e.stderr?.toString().trim() || e.message || String(err)).split('\n')[0]!.slice(0, 160);
}
