import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { openProjectDatabase, type Db } from '../../../main/db/projectDatabase';
import { InferenceService } from '../../../main/inference/inferenceService';
import { buildModel, DataType } from '../../../main/inference/onnxProto';
import { ModelService } from '../../../main/inference/modelService';
import { ProviderProbe } from '../../../main/inference/providerProbe';
import { ProviderService, type ProviderName } from '../../../main/inference/providerService';
import type { PostMode } from '../../../main/inference/sessions';
import { SettingsStore } from '../../../main/services/settingsStore';

export const MODELS_DIR = fileURLToPath(new URL('../../fixtures/models', import.meta.url));
export const model = (name: string) => join(MODELS_DIR, name);

/**
 * A road-like test frame: sky and road gradients, a few boxes and noise, deterministic per seed,
 * so models see varied input and masks have boundaries.
 */
export async function writeFrame(path: string, width: number, height: number, seed: number): Promise<void> {
  const rgb = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761 + 1;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const boxes = Array.from({ length: 6 }, () => [rand() * width, rand() * height, rand() * width * 0.3, rand() * height * 0.3, rand() * 255, rand() * 255, rand() * 255]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const sky = y < height * 0.45;
      let r = sky ? 90 + (y / height) * 120 : 80 + (x / width) * 40;
      let g = sky ? 140 + (y / height) * 80 : 80;
      let b = sky ? 220 : 90;
      for (const [bx, by, bw, bh, br, bg, bb] of boxes) {
        if (x >= bx! && x < bx! + bw! && y >= by! && y < by! + bh!) [r, g, b] = [br!, bg!, bb!];
      }
      const n = (rand() - 0.5) * 30;
      rgb[i] = Math.max(0, Math.min(255, r + n));
      rgb[i + 1] = Math.max(0, Math.min(255, g + n));
      rgb[i + 2] = Math.max(0, Math.min(255, b + n));
    }
  }
  await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path);
}

export interface TestProject {
  readonly dir: string;
  readonly db: Db;
  readonly cacheDir: string;
}

export function openTestProject(dir: string): TestProject {
  mkdirSync(join(dir, 'cache'), { recursive: true });
  return { dir, db: openProjectDatabase(join(dir, 'project.sqlite')), cacheDir: join(dir, 'cache') };
}

/** Writes `count` frames and registers them as a dataset the way a scan would. */
export async function addDataset(
  db: Db,
  root: string,
  count: number,
  sizes: { width: number; height: number } | readonly { width: number; height: number }[],
  name = 'dashcam',
): Promise<{ datasetId: number; frameIds: number[] }> {
  mkdirSync(root, { recursive: true });
  const datasetId = Number(
    db.prepare("INSERT INTO datasets (name, role, root, format) VALUES (?, 'dashcam', ?, 'folder')").run(name, root).lastInsertRowid,
  );
  const frameIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const size = Array.isArray(sizes) ? sizes[i % sizes.length]! : (sizes as { width: number; height: number });
    const rel = `f${String(i).padStart(4, '0')}.png`;
    await writeFrame(join(root, rel), size.width, size.height, i + 1);
    const st = statSync(join(root, rel));
    const info = db
      .prepare('INSERT INTO frames (dataset_id, rel_path, width, height, size_bytes, mtime_ms, sort_key) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(datasetId, rel, size.width, size.height, st.size, Math.round(st.mtimeMs), i);
    frameIds.push(Number(info.lastInsertRowid));
  }
  return { datasetId, frameIds };
}

export function makeServices(p: TestProject, appHome: string, opts: { post?: PostMode; threads?: number; pin?: ProviderName } = {}) {
  const settings = new SettingsStore(appHome);
  const providers = new ProviderService({ settings, probe: new ProviderProbe({ cacheDir: appHome }), threads: opts.threads ?? 1, pinOverride: opts.pin });
  const models = new ModelService(p.db, providers, opts.post);
  const inference = new InferenceService({ db: p.db, cacheDir: p.cacheDir, models });
  return { settings, providers, models, inference };
}

const PYTHON = '/usr/bin/python3';
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * A torchvision segmentation model (random weights, 19 classes, output "out"), exported on first
 * use with Debian's torch into .cache/models (too big to commit). Returns the reason instead of
 * a path where torch is missing, so tests can skip and say why.
 */
export function torchvisionModel(arch: 'lraspp' | 'deeplabv3'): { path: string } | { skip: string } {
  const path = join(REPO, '.cache', 'models', `${arch}.onnx`);
  if (existsSync(path)) return { path };
  if (!existsSync(PYTHON)) return { skip: `${PYTHON} is missing (apt-get install python3-torch python3-torchvision python3-onnx)` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skip: `${PYTHON} has no torch/torchvision/onnx: ${probe.stderr.trim().split('\n').pop()}` };
  const made = spawnSync(PYTHON, [join(MODELS_DIR, 'make_models.py'), 'torchvision', arch, path], { encoding: 'utf8', timeout: 300_000 });
  if (made.status !== 0 || !existsSync(path)) return { skip: `exporting ${arch} failed: ${made.stderr.trim().split('\n').pop()}` };
  return { path };
}

/** A 19-class "segmentation model": one 1x1 Conv, class c's three weights all weight(c). */
export function scaledConv(weight: (c: number) => number): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1, 3, 'h', 'w'] }],
    outputs: [{ name: 'logits', type: DataType.FLOAT, shape: [1, 19, 'h', 'w'] }],
    initializers: [{ name: 'w', type: DataType.FLOAT, dims: [19, 3, 1, 1], values: Array.from({ length: 19 * 3 }, (_, i) => weight(Math.floor(i / 3))) }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['logits'] }],
  });
}
