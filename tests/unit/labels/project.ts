/** A small real project for label and metric tests: SQLite on disk, real PNG masks in the cache. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openProjectDatabase, type Db } from '../../../main/db/projectDatabase';
import { makeTempDir } from '../../helpers/tempDir';

export interface TestFrame {
  readonly id: number;
  readonly width: number;
  readonly height: number;
}

export interface TestProject {
  readonly dir: string;
  readonly cacheDir: string;
  db: Db;
  reopen(): Db;
  addDataset(name: string, role: 'sim' | 'dashcam'): number;
  addFrame(datasetId: number, relPath: string, width: number, height: number, labelled?: boolean): TestFrame;
  addModel(name: string, role: string): number;
  addPrediction(frameId: number, modelId: number, mask: Uint8Array, width: number, height: number, extra?: { histogram?: number[]; entropy?: Uint8Array }): Promise<void>;
  cleanup(): void;
}

export async function writeGrey(path: string, data: Uint8Array, width: number, height: number): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  await sharp(Buffer.from(data), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}

export function makeProject(): TestProject {
  const temp = makeTempDir('s2r-labels-');
  const file = join(temp.path, 'project.sqlite');
  const cacheDir = join(temp.path, 'cache');
  mkdirSync(cacheDir, { recursive: true });
  let sortKey = 0;
  const project: TestProject = {
    dir: temp.path,
    cacheDir,
    db: openProjectDatabase(file),
    reopen() {
      project.db.close();
      project.db = openProjectDatabase(file);
      return project.db;
    },
    addDataset(name, role) {
      const info = project.db.prepare('INSERT INTO datasets (name, role, root, format) VALUES (?, ?, ?, ?)').run(name, role, join(temp.path, name), 'test');
      return Number(info.lastInsertRowid);
    },
    addFrame(datasetId, relPath, width, height, labelled = false) {
      const info = project.db
        .prepare('INSERT INTO frames (dataset_id, rel_path, label_path, width, height, size_bytes, mtime_ms, sort_key) VALUES (?, ?, ?, ?, ?, 1, 1, ?)')
        .run(datasetId, relPath, labelled ? `${relPath}.label.png` : null, width, height, sortKey++);
      return { id: Number(info.lastInsertRowid), width, height };
    },
    addModel(name, role) {
      const info = project.db.prepare("INSERT INTO models (name, role, path, card_json, sha256) VALUES (?, ?, '/m.onnx', '{}', 'x')").run(name, role);
      return Number(info.lastInsertRowid);
    },
    async addPrediction(frameId, modelId, mask, width, height, extra = {}) {
      const rel = `predictions/${modelId}/${frameId}.png`;
      await writeGrey(join(cacheDir, rel), mask, width, height);
      let entropyRel: string | null = null;
      if (extra.entropy) {
        entropyRel = `predictions/${modelId}/${frameId}_entropy.png`;
        await writeGrey(join(cacheDir, entropyRel), extra.entropy, width, height);
      }
      project.db
        .prepare(
          `INSERT OR REPLACE INTO predictions (frame_id, model_id, mask_path, entropy_path, class_histogram, created_at)
           VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
        )
        .run(frameId, modelId, rel, entropyRel, JSON.stringify(extra.histogram ?? []));
    },
    cleanup() {
      if (project.db.open) project.db.close();
      temp.cleanup();
    },
  };
  return project;
}
