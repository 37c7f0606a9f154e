/**
 * Headless inference: the same run the app queues, from a terminal.
 *
 *   npm run infer -- --project PATH --dataset NAME|ID --models NAME|ID|FILE.onnx[,...]
 *                    [--provider cuda|webgpu|cpu] [--precision fp32|fp16] [--threads N] [--home DIR] [--log-frames]
 *
 * Resumes the unfinished run over the same dataset and models if there is one (frames already
 * committed are skipped), so killing it and starting it again loses and repeats nothing.
 * Progress goes to stderr; stdout gets `frame ID` lines (with --log-frames) and one JSON summary.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppError } from '../../common/errors';
import { DatasetService } from '../datasets/datasetService';
import { openProjectDatabase, type Db } from '../db/projectDatabase';
import type { JobContext } from '../jobs/jobContext';
import { defaultAppHome, PROJECT_CACHE_DIR, PROJECT_DB_FILE } from '../services/appPaths';
import { SettingsStore } from '../services/settingsStore';
import { InferenceService } from './inferenceService';
import { ModelService, SHIPPED_ROLES } from './modelService';
import { ProviderProbe } from './providerProbe';
import { GPU_PRECISIONS, PROVIDERS, ProviderService, type GpuPrecision, type ProviderName } from './providerService';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      project: { type: 'string' },
      dataset: { type: 'string' },
      models: { type: 'string' },
      provider: { type: 'string' },
      precision: { type: 'string' },
      threads: { type: 'string' },
      home: { type: 'string' },
      'log-frames': { type: 'boolean', default: false },
    },
  });
  if (!values.project || !values.dataset || !values.models) {
    console.error('usage: npm run infer -- --project PATH --dataset NAME|ID --models NAME|ID|FILE.onnx[,...] [--provider cuda|webgpu|cpu] [--precision fp32|fp16] [--threads N]');
    return 2;
  }
  if (values.provider && !PROVIDERS.includes(values.provider as ProviderName)) {
    throw new AppError('BAD_REQUEST', `--provider must be one of ${PROVIDERS.join(', ')}`);
  }
  if (values.precision && !GPU_PRECISIONS.includes(values.precision as GpuPrecision)) {
    throw new AppError('BAD_REQUEST', `--precision must be one of ${GPU_PRECISIONS.join(', ')} (it applies to CUDA and WebGPU; the CPU runs fp32)`);
  }
  const dir = projectDir(values.project);
  const db = openProjectDatabase(join(dir, PROJECT_DB_FILE));
  const appHome = values.home ?? defaultAppHome();
  const providers = new ProviderService({
    settings: new SettingsStore(appHome),
    probe: new ProviderProbe({ cacheDir: appHome }),
    threads: values.threads ? Number(values.threads) : undefined,
    pinOverride: values.provider as ProviderName | undefined,
    precisionOverride: values.precision as GpuPrecision | undefined,
  });
  const models = new ModelService(db, providers);
  const inference = new InferenceService({ db, cacheDir: join(dir, PROJECT_CACHE_DIR), models });
  const datasets = new DatasetService(db);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const datasetId = findDataset(db, values.dataset);
    const modelIds: number[] = [];
    for (const ref of values.models.split(',').map((s) => s.trim()).filter(Boolean)) modelIds.push(await resolveModel(models, ref));
    let last = 0;
    const progressTo = (what: string) => (done: number, total: number) => {
      const now = Date.now();
      if (now - last < 1000 && done < total) return;
      last = now;
      process.stderr.write(`${what}: ${done}/${total} frames\n`);
    };
    const log = (line: string) => process.stderr.write(`${line}\n`);
    // Frames get their rows when validation reads them: finish an interrupted scan's second
    // phase first, so the run covers the whole dataset the app shows.
    const waiting = datasets.summary(datasetId).pendingCount;
    if (waiting > 0) {
      log(`dataset ${datasetId}: ${waiting} frames not validated yet; validating them first`);
      await datasets.validateFrames(datasetId, { signal: controller.signal, progress: progressTo('validating'), log });
    }
    const runId = inference.resumeOrCreate(datasetId, modelIds);
    const ctx: JobContext = { signal: controller.signal, progress: progressTo(`run ${runId}`), log };
    const report = await providers.report();
    process.stderr.write(`execution provider: ${report.active}${report.attempts.filter((a) => !a.ok).map((a) => `; ${a.provider}: ${a.reason}`).join('')}\n`);
    const outcome = await inference.execute(runId, ctx, {
      onFrame: values['log-frames'] ? (id) => process.stdout.write(`frame ${id}\n`) : undefined,
    });
    const rate = outcome.seconds > 0 ? outcome.processed / outcome.seconds : 0;
    process.stdout.write(`${JSON.stringify({ ...outcome, framesPerSecond: Number(rate.toFixed(2)) })}\n`);
    return 0;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('cancelled; run the same command again to resume\n');
      return 130;
    }
    throw err;
  } finally {
    datasets.dispose();
    await models.dispose();
    providers.dispose();
    db.close();
  }
}

function projectDir(path: string): string {
  const p = resolve(path);
  const dir = existsSync(p) && statSync(p).isFile() ? dirname(p) : p;
  if (!existsSync(join(dir, PROJECT_DB_FILE))) throw new AppError('NOT_FOUND', `${dir}: no project here (no ${PROJECT_DB_FILE})`);
  return dir;
}

function findDataset(db: Db, ref: string): number {
  const row = (/^\d+$/.test(ref)
    ? db.prepare('SELECT id FROM datasets WHERE id = ?').get(Number(ref))
    : db.prepare('SELECT id FROM datasets WHERE name = ?').get(ref)) as { id: number } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `dataset "${ref}": not in this project`);
  return row.id;
}

/** A registered name or id; a shipped role (registered on first use); or an .onnx file, imported if new. */
async function resolveModel(models: ModelService, ref: string): Promise<number> {
  if (/\.onnx$/i.test(ref)) {
    const path = resolve(ref);
    const known = models.list().find((m) => m.path === path);
    return known ? known.id : (await models.import({ path })).id;
  }
  try {
    return models.find(ref).id;
  } catch (err) {
    if (!(SHIPPED_ROLES as readonly string[]).includes(ref)) throw err;
    await models.registerShipped(join(REPO_ROOT, 'native-models', 'models'));
    return models.find(ref).id;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
