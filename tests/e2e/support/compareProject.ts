/**
 * Builds a project the compare view can show without trained models: real frame folders
 * added through the app's own 'dataset:add', then models, prediction PNGs and statistics
 * written straight into the project's SQLite file and cache folder, exactly where an
 * inference run would put them (predictions/m<model>/<frame>.<kind>.png).
 */
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { Channel, ReplyOf, RequestOf, WireResult } from '../../../common/contract';
import { disagreement, histogram, LABEL_ID_OF_TRAIN_ID, renderScene, type FramePredictions, type SceneFrame } from './compareScene';
import type { RunningServer } from './webApp';

export interface SeedOptions {
  readonly projectName: string;
  readonly width: number;
  readonly height: number;
  readonly simFrames: number;
  readonly dashcamFrames: number;
  /** Dashcam frames at another size (a 4K frame for the pan benchmark). */
  readonly extraDashcam?: { width: number; height: number };
}

export interface SeededFrame {
  readonly id: number;
  readonly relPath: string;
  readonly scene: SceneFrame;
  readonly disagreement: number;
}

export interface SeededProject {
  readonly projectDir: string;
  readonly simDatasetId: number;
  readonly dashcamDatasetId: number;
  readonly models: { readonly a: number; readonly b: number; readonly disc: number };
  readonly sim: SeededFrame[];
  readonly dashcam: SeededFrame[];
}

export async function invoke<C extends Channel>(server: RunningServer, channel: C, payload: RequestOf<C>): Promise<ReplyOf<C>> {
  const response = await fetch(`${server.origin}/api/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-s2r-token': server.token },
    body: JSON.stringify({ channel, payload }),
  });
  const result = (await response.json()) as WireResult<ReplyOf<C>>;
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

/**
 * Cancels the inference jobs still queued or running (on a new app home, the demo's first open
 * runs the shipped models) and waits for the queue to settle, so a test's seeded rows are not
 * raced by a background run and later jobs are not queued behind it.
 */
export async function cancelInferenceJobs(server: RunningServer): Promise<void> {
  const busy = (j: { status: string }) => j.status === 'queued' || j.status === 'running';
  for (const job of await invoke(server, 'jobs:list', {})) {
    if (job.kind === 'inference' && busy(job)) await invoke(server, 'jobs:cancel', { jobId: job.id });
  }
  const until = Date.now() + 60_000;
  while ((await invoke(server, 'jobs:list', {})).some(busy)) {
    if (Date.now() > until) throw new Error('jobs still running a minute after cancelling the inference jobs');
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Without toColourspace('b-w') sharp 0.35 writes one-channel raw data as an RGB PNG, and
// a GTA5 label stored as RGB is read by its colours rather than by its values.
const greyPng = (data: Uint8Array, width: number, height: number) =>
  sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 1 })
    .toBuffer();

async function writeFile(path: string, body: Buffer | Promise<Buffer>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await body);
}

async function writeFrames(dataDir: string, options: SeedOptions): Promise<Map<string, SceneFrame>> {
  const scenes = new Map<string, SceneFrame>();
  for (let i = 0; i < options.simFrames; i++) {
    const scene = renderScene(options.width, options.height, i, 'sim');
    const name = `${String(i + 1).padStart(5, '0')}.png`;
    const labelIds = scene.gt.map((t) => LABEL_ID_OF_TRAIN_ID[t] ?? 0);
    const raw = { raw: { width: scene.width, height: scene.height, channels: 3 as const } };
    await writeFile(join(dataDir, 'sim', 'images', name), sharp(scene.image, raw).png({ compressionLevel: 1 }).toBuffer());
    await writeFile(join(dataDir, 'sim', 'labels', name), greyPng(labelIds, scene.width, scene.height));
    scenes.set(`sim/images/${name}`, scene);
  }
  const dashcamSizes = Array.from({ length: options.dashcamFrames }, () => ({ width: options.width, height: options.height }));
  if (options.extraDashcam) dashcamSizes.push(options.extraDashcam);
  for (const [i, size] of dashcamSizes.entries()) {
    const scene = renderScene(size.width, size.height, i * 3 + 1, 'dashcam');
    const name = `frame_${String(i + 1).padStart(4, '0')}.png`;
    const raw = { raw: { width: scene.width, height: scene.height, channels: 3 as const } };
    await writeFile(join(dataDir, 'dashcam', name), sharp(scene.image, raw).png({ compressionLevel: 1 }).toBuffer());
    scenes.set(`dashcam/${name}`, scene);
  }
  return scenes;
}

async function waitForJobs(server: RunningServer, jobIds: number[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const jobs = await invoke(server, 'jobs:list', {});
    const mine = jobs.filter((j) => jobIds.includes(j.id));
    const failed = mine.find((j) => j.status === 'failed' || j.status === 'cancelled');
    if (failed) throw new Error(`job ${failed.id} ${failed.status}: ${failed.error}`);
    if (mine.length === jobIds.length && mine.every((j) => j.status === 'done')) return;
    if (Date.now() > deadline) throw new Error(`jobs ${jobIds.join(', ')} did not finish: ${JSON.stringify(mine)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function seedCompareProject(server: RunningServer, home: string, options: SeedOptions): Promise<SeededProject> {
  const dataDir = join(home, 'data');
  const scenes = await writeFrames(dataDir, options);
  const project = await invoke(server, 'project:create', { name: options.projectName });
  const sim = await invoke(server, 'dataset:add', { name: 'Simulator (GTA5-style)', role: 'sim', root: join(dataDir, 'sim') });
  const dashcam = await invoke(server, 'dataset:add', { name: 'Dashcam', role: 'dashcam', root: join(dataDir, 'dashcam') });
  await waitForJobs(server, [sim.jobId, dashcam.jobId]);

  const writer = new PredictionWriter(project.path);
  try {
    const frames = writer.db.prepare('SELECT id, rel_path FROM frames WHERE dataset_id = ? ORDER BY sort_key, id');
    const seeded = async (datasetId: number, prefix: string): Promise<SeededFrame[]> => {
      const out: SeededFrame[] = [];
      for (const row of frames.all(datasetId) as { id: number; rel_path: string }[]) {
        const scene = scenes.get(`${prefix}/${row.rel_path}`);
        if (!scene) throw new Error(`no scene for ${prefix}/${row.rel_path}`);
        const differ = await writer.write(row.id, scene);
        out.push({ id: row.id, relPath: row.rel_path, scene, disagreement: differ });
      }
      return out;
    };
    return {
      projectDir: project.path,
      simDatasetId: sim.dataset.id,
      dashcamDatasetId: dashcam.dataset.id,
      models: writer.models,
      sim: await seeded(sim.dataset.id, 'sim'),
      dashcam: await seeded(dashcam.dataset.id, 'dashcam'),
    };
  } finally {
    writer.close();
  }
}

/**
 * Registers a source-only, an adapted and a discriminator model in a project's database
 * and writes their outputs for frames, as an inference run would.
 */
export class PredictionWriter {
  readonly db: Database.Database;
  readonly models: { readonly a: number; readonly b: number; readonly disc: number };
  private readonly cacheDir: string;

  constructor(projectDir: string) {
    this.db = new Database(join(projectDir, 'project.sqlite'));
    this.db.pragma('busy_timeout = 5000');
    this.cacheDir = join(projectDir, 'cache');
    const addModel = this.db.prepare("INSERT INTO models (name, role, path, card_json, sha256) VALUES (?, ?, ?, '{}', 'seeded')");
    this.models = {
      a: Number(addModel.run('Source-only (GTA5)', 'source_only', '/models/source_only.onnx').lastInsertRowid),
      b: Number(addModel.run('AdaptSegNet', 'adapted', '/models/adaptsegnet.onnx').lastInsertRowid),
      disc: Number(addModel.run('Discriminator', 'discriminator', '/models/discriminator.onnx').lastInsertRowid),
    };
  }

  /** Writes the frame's PNGs and rows; returns the share of pixels where the models differ. */
  async write(frameId: number, p: FramePredictions): Promise<number> {
    const { width, height } = p;
    const mean = (m: Uint8Array) => m.reduce((s, v) => s + v, 0) / m.length / 255;
    const addPrediction = this.db.prepare(
      `INSERT INTO predictions (frame_id, model_id, mask_path, confidence_path, entropy_path, class_histogram, mean_entropy, mean_confidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const [modelId, mask, confidence, entropy] of [
      [this.models.a, p.a, p.confidenceA, p.entropyA],
      [this.models.b, p.b, p.confidenceB, p.entropyB],
    ] as const) {
      const base = `predictions/m${modelId}/${frameId}`;
      await writeFile(join(this.cacheDir, `${base}.mask.png`), greyPng(mask, width, height));
      await writeFile(join(this.cacheDir, `${base}.confidence.png`), greyPng(confidence, width, height));
      await writeFile(join(this.cacheDir, `${base}.entropy.png`), greyPng(entropy, width, height));
      addPrediction.run(frameId, modelId, `${base}.mask.png`, `${base}.confidence.png`, `${base}.entropy.png`,
        JSON.stringify(histogram(mask)), mean(entropy), mean(confidence));
    }
    const syntheticPath = `predictions/m${this.models.disc}/${frameId}.synthetic.png`;
    await writeFile(join(this.cacheDir, syntheticPath), greyPng(p.synthetic, width, height));
    addPrediction.run(frameId, this.models.disc, syntheticPath, null, null, '[]', null, null);
    const differ = disagreement(p.a, p.b);
    // REPLACE: a cancelled run of the demo's shipped models may already have scored this frame.
    this.db.prepare('INSERT OR REPLACE INTO frame_stats (frame_id, disagreement, synthetic_score) VALUES (?, ?, ?)').run(frameId, differ, mean(p.synthetic));
    return differ;
  }

  close(): void {
    this.db.close();
  }
}
