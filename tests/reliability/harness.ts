/**
 * A backend built exactly as the app builds it (createBackend), driven only through its
 * dispatcher, plus the checks every reliability test makes: typed replies, database integrity
 * and the rows that must survive.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { WireError, type Channel, type WireResult } from '../../common/contract';
import { createBackend, type Backend } from '../../main/app/composition';
import type { Db } from '../../main/db/projectDatabase';
import { packMask, type PackedMask } from '../../main/labels/maskFiles';
import { photoPng, put } from '../unit/datasets/helpers/fixtures';
import { model } from '../unit/inference/helpers';
import { H, roadLabel, W } from './corpus';

export interface Harness {
  readonly backend: Backend;
  call(channel: Channel | string, payload?: unknown): Promise<WireResult<unknown>>;
  /** The reply's value; fails the test with the error when there is none. */
  ok<T = unknown>(channel: Channel, payload?: unknown): Promise<T>;
  db(): Db;
  idle(): Promise<void>;
  dispose(): void;
}

/** `home` holds the app state; resources without fixtures/, so no demo project opens by itself. */
export async function startHarness(home: string): Promise<Harness> {
  mkdirSync(join(home, 'resources'), { recursive: true });
  const backend = createBackend({ appHome: join(home, 'app'), resourcesDir: join(home, 'resources'), transport: 'web' });
  const call = (channel: Channel | string, payload?: unknown) => backend.dispatcher.dispatch(channel, payload);
  const harness: Harness = {
    backend,
    call,
    async ok<T>(channel: Channel, payload: unknown = {}) {
      const result = await call(channel, payload);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
      return result.value as T;
    },
    db: () => backend.projects.require().db,
    idle: () => backend.projects.require().scope.jobs.idle(),
    dispose: () => backend.dispose(),
  };
  // CPU only: probing CUDA and WebGPU spawns processes that tell these tests nothing.
  await harness.ok('inference:pinProvider', { provider: 'cpu' });
  return harness;
}

/** A rejection as the contract defines it: a known code and a message, nothing thrown. */
export function expectTypedError(result: WireResult<unknown>, what: string): WireError {
  expect(result.ok, what).toBe(false);
  const error = (result as { ok: false; error: WireError }).error;
  expect(WireError.safeParse(error).success, what).toBe(true);
  return error;
}

export function integrityCheck(file: string): string {
  const db = new Database(file);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** Rows a user would be upset to lose, keyed so a comparison shows which ones changed. */
export function keptRows(db: Db): Record<string, unknown[]> {
  const all = (sql: string) => db.prepare(sql).all();
  return {
    datasets: all('SELECT id, name, root, format FROM datasets ORDER BY id'),
    frames: all('SELECT id, dataset_id, rel_path, status, width, height, class_histogram FROM frames ORDER BY id'),
    models: all('SELECT id, name, sha256 FROM models ORDER BY id'),
    spots: all('SELECT id, frame_id, x, y, train_id, cant_tell, answered_at FROM label_spots ORDER BY id'),
    masks: all('SELECT frame_id, mask_path FROM label_masks ORDER BY frame_id'),
    predictions: all('SELECT frame_id, model_id, mask_path FROM predictions ORDER BY frame_id, model_id'),
  };
}

/**
 * A project with something in every table: a scanned GTA5 folder, a model, answered spots and a
 * saved mask. `onCreated` runs on the empty project folder first (to mount a small disk there).
 * Returns the dataset and model ids.
 */
export async function seedProject(
  h: Harness,
  dir: string,
  options: { readonly frames?: number; readonly onCreated?: (projectDir: string) => void } = {},
): Promise<{ datasetId: number; modelId: number }> {
  const frames = options.frames ?? 3;
  const { path } = await h.ok<{ path: string }>('project:create', { name: 'Kept', parentDir: dir });
  options.onCreated?.(path);
  const root = join(dir, 'good');
  for (let i = 0; i < frames; i++) {
    put(root, `images/${i}.png`, await photoPng(W, H));
    put(root, `labels/${i}.png`, roadLabel());
  }
  const { dataset } = await h.ok<{ dataset: { id: number } }>('dataset:add', { name: 'good', role: 'sim', root });
  await h.idle();
  const { id: modelId } = await h.ok<{ id: number }>('models:import', { path: model('tiny_seg.onnx') });
  await h.ok('labels:sampleSpots', { datasetId: dataset.id, count: 4, seed: 7, sampler: 'uniform' });
  const spots = await h.ok<{ id: number }[]>('labels:spots', { queue: 'estimate' });
  for (const [i, s] of spots.entries()) await h.ok('labels:answerSpot', { spotId: s.id, trainId: i % 19, cantTell: false });
  const frame = (h.db().prepare('SELECT id FROM frames ORDER BY id LIMIT 1').get() as { id: number }).id;
  await h.ok('labels:saveMask', { frameId: frame, mask: packedMask(W, H, 0) });
  return { datasetId: dataset.id, modelId };
}

export function packedMask(width: number, height: number, trainId: number): PackedMask {
  return packMask({ width, height, data: new Uint8Array(width * height).fill(trainId) });
}
