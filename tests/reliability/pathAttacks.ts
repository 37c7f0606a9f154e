/**
 * A registered folder with traps around it, and the media routes that try to read past it.
 * Both transports (browser mode's HTTP server and Electron's s2r:// protocol) must refuse every
 * route here; the tests check status codes and that no byte of the secret comes back.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Db } from '../../main/db/projectDatabase';

export interface TrappedFolder {
  /** The folder to register as a dataset: seq001/frame_000001.png inside, links pointing out. */
  readonly frames: string;
  /** A PNG outside every registered folder. */
  readonly secret: string;
  readonly secretBytes: Buffer;
}

export async function trappedFolder(dir: string): Promise<TrappedFolder> {
  const frames = join(dir, 'frames');
  mkdirSync(join(frames, 'seq001'), { recursive: true });
  const png = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#336699' } }).png().toBuffer();
  writeFileSync(join(frames, 'seq001', 'frame_000001.png'), png);
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  const secretBytes = await sharp({ create: { width: 5, height: 3, channels: 3, background: '#c0ffee' } }).png().toBuffer();
  const secret = join(outside, 'secret.png');
  writeFileSync(secret, secretBytes);
  writeFileSync(join(dir, 'secret.png'), secretBytes);
  symlinkSync(secret, join(frames, 'escape.png'));
  symlinkSync(outside, join(frames, 'linkdir'));
  return { frames, secret, secretBytes };
}

/**
 * Rows a tampered project file could hold: a frame and a prediction whose stored paths climb out
 * of the dataset and the cache. Paths from the database must be held to the same rule as URLs.
 */
export function plantTamperedRows(db: Db, datasetId: number): { frameId: number; modelId: number } {
  const frameId = Number(
    db.prepare("INSERT INTO frames (dataset_id, rel_path, size_bytes, mtime_ms, status) VALUES (?, '../secret.png', 1, 1, 'ok')").run(datasetId).lastInsertRowid,
  );
  // No model row: the route reads the prediction row alone, and a fake model would show up in every list.
  const modelId = 424242;
  db.pragma('foreign_keys = OFF');
  db.prepare("INSERT INTO predictions (frame_id, model_id, mask_path, class_histogram) VALUES (?, ?, '../../secret.png', '[]')").run(frameId, modelId);
  db.pragma('foreign_keys = ON');
  return { frameId, modelId };
}

/** Media routes (after `media/`, as a URL would carry them) that must all be refused. */
export function mediaAttacks(datasetId: number, t: TrappedFolder, tampered: { frameId: number; modelId: number }): string[] {
  const file = `dataset/${datasetId}/file`;
  return [
    `${file}/..%2Fsecret.png`,
    `${file}/..%2fsecret.png`,
    `${file}/seq001%2F..%2F..%2Fsecret.png`,
    `${file}/%2E%2E%2Fsecret.png`,
    `${file}/..%5Csecret.png`,
    `${file}/%252E%252E%252Fsecret.png`,
    `${file}/escape.png`,
    `${file}/linkdir/secret.png`,
    `${file}/${encodeURIComponent(t.secret)}`,
    `${file}/seq001/frame_000001.png%00.png`,
    `${file}/%00`,
    `dataset/999/file/seq001/frame_000001.png`,
    `dataset/${datasetId}/file/`,
    `frame/${tampered.frameId}/image`,
    `frame/${tampered.frameId}/thumb`,
    `prediction/${tampered.frameId}/${tampered.modelId}/mask`,
    `frame/-1/image`,
    `frame/1e3/image`,
    `frame/${'9'.repeat(40)}/image`,
  ];
}

/** Paths to the renderer's own files that try to climb out of its folder. */
export const STATIC_ATTACKS = ['..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E%2Fsecret.png', '..%5C..%5Csecret.png', '%2Fetc%2Fpasswd', 'assets%2F..%2F..%2Fsecret.png'];
