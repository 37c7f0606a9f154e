/** Temp folders, project databases and label patterns shared by the dataset tests. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { openProjectDatabase, type Db } from '../../../../main/db/projectDatabase';
import { DatasetService } from '../../../../main/datasets/datasetService';
import { detachedJobContext } from '../../../../main/jobs/jobContext';
import { encodePng } from './pngWrite';

export interface TestProject {
  readonly dir: string;
  readonly db: Db;
  readonly service: DatasetService;
  close(): void;
}

const made: string[] = [];

export function tempDir(prefix = 'ds-'): string {
  const dir = mkdtempSync(join(tmpdir(), `s2r-${prefix}`));
  made.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function openTestProject(): TestProject {
  const dir = tempDir('project-');
  const db = openProjectDatabase(join(dir, 'project.sqlite'));
  const service = new DatasetService(db);
  return {
    dir,
    db,
    service,
    close() {
      service.dispose();
      db.close();
    },
  };
}

export function put(root: string, rel: string, bytes: Buffer | string): string {
  const path = join(root, ...rel.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

export const ctx = () => detachedJobContext();

/**
 * A deterministic pattern of raw label values: pixel i takes pairs[(x*3 + y*5 + i) % n]
 * so every value appears on every row and neighbours differ (filters see real work).
 */
export function pattern(width: number, height: number, count: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push((x * 3 + y * 5 + ((x * y) % 7)) % count);
  return out;
}

/** An RGB PNG image (the "photo") of the given size, via sharp. */
export async function photoPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 90, b: 160 } } }).png().toBuffer();
}

export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 120, g: 60, b: 30 } } }).jpeg().toBuffer();
}

export async function photoWebp(width: number, height: number, lossless = false): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 90 } } }).webp({ lossless }).toBuffer();
}

/** A grey 8-bit PNG of labelIds (or trainIds). */
export function greyPng(width: number, height: number, values: readonly number[]): Buffer {
  return encodePng({ width, height, colourType: 0, samples: values, filters: [0, 1, 2, 3, 4] });
}

/**
 * Runs `work` without root's power to read anything, so permission problems can be
 * produced: as root the effective uid drops to nobody for the duration (the database
 * stays writable through its already-open file). Paths the work needs must be
 * world-accessible (see `openUp`).
 */
export async function withoutRoot<T>(work: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0 || !process.seteuid) return work();
  process.seteuid(65534);
  try {
    return await work();
  } finally {
    process.seteuid(0);
  }
}

/** mkdtemp makes 0700 folders; nobody must be able to walk into them. */
export function openUp(...dirs: string[]): void {
  for (const dir of dirs) chmodSync(dir, 0o755);
}
