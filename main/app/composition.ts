import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppInfo } from '../../common/contract';
import { AppError } from '../../common/errors';
import { CompareQueryService } from '../compare/compareQueryService';
import { DatasetService } from '../datasets/datasetService';
import { InferenceService } from '../inference/inferenceService';
import { ModelService } from '../inference/modelService';
import { ProviderProbe } from '../inference/providerProbe';
import { ProviderService } from '../inference/providerService';
import type { JobContext } from '../jobs/jobContext';
import { JobService } from '../jobs/jobService';
import { LabelService } from '../labels/labelService';
import { MetricsService } from '../metrics/metricsService';
import { defaultAppHome, defaultProjectsDir } from '../services/appPaths';
import { EventBus } from '../services/eventBus';
import { MediaService, type MediaSource } from '../services/mediaService';
import { ProjectService, type ProjectScope } from '../services/projectService';
import { SettingsStore } from '../services/settingsStore';
import { Dispatcher } from './dispatcher';
import { createHandlers } from './handlers';
import { DemoProject } from './demoProject';

/** How often a running validation tells the views that more frames have rows. */
const DATASET_REFRESH_MS = 1000;

/** Everything that lives while one project is open. */
export interface ProjectServices extends ProjectScope {
  readonly datasets: DatasetService;
  readonly jobs: JobService;
  readonly compare: CompareQueryService;
  readonly labels: LabelService;
  readonly metrics: MetricsService;
  readonly models: ModelService;
  readonly inference: InferenceService;
}

export interface BackendOptions {
  readonly appHome?: string;
  /** Folder that holds fixtures/demo and native-models/models (the repo, or the app's resources). */
  readonly resourcesDir: string;
  readonly transport: AppInfo['transport'];
  readonly version?: string;
}

export interface Backend {
  readonly events: EventBus;
  readonly projects: ProjectService<ProjectServices>;
  readonly dispatcher: Dispatcher;
  readonly media: MediaService;
  readonly demo: DemoProject;
  /** Opens the last project, or the bundled demo when there is none. */
  start(): Promise<void>;
  dispose(): void;
}

/** The one place where services are built and wired; the Electron shell and browser mode both call it. */
export function createBackend(options: BackendOptions): Backend {
  const appHome = options.appHome ?? defaultAppHome();
  const events = new EventBus();
  // Execution providers belong to the machine, not the project: probed once, pinned app-wide.
  const providers = new ProviderService({ settings: new SettingsStore(appHome), probe: new ProviderProbe({ cacheDir: appHome }) });
  const projects = new ProjectService<ProjectServices>(appHome, defaultProjectsDir(appHome), events, ({ db, cacheDir }) => {
    const datasets = new DatasetService(db);
    const compare = new CompareQueryService(db);
    const labels = new LabelService(db, cacheDir);
    const metrics = new MetricsService(db, cacheDir, datasets, labels.store);
    const models = new ModelService(db, providers);
    const inference = new InferenceService({ db, cacheDir, models });
    const jobs = new JobService(db, events, {
      metrics: async (_params, ctx) => {
        await metrics.evaluate(ctx);
      },
      scan: async (params, ctx) => {
        const { datasetId } = params as { datasetId: number };
        // Counts and listing issues show as soon as the index is in; validation then gives frames
        // their rows in order, so the views are told again now and then while it runs.
        let toldAt = 0;
        const validating: JobContext = {
          ...ctx,
          progress: (done, total, note) => {
            ctx.progress(done, total, note);
            if (note === 'validating' && done > 0 && performance.now() - toldAt > DATASET_REFRESH_MS) {
              toldAt = performance.now();
              events.emit({ type: 'datasets-changed' });
            }
          },
        };
        await datasets.scan(datasetId, validating, { onIndexed: () => events.emit({ type: 'datasets-changed' }) });
        events.emit({ type: 'datasets-changed' });
      },
      inference: async (params, ctx) => {
        await inference.execute((params as { runId: number }).runId, ctx);
      },
    }, {
      inference: (params) => inference.cancelUnstarted((params as { runId: number }).runId),
    });
    return {
      datasets,
      jobs,
      compare,
      labels,
      metrics,
      models,
      inference,
      dispose: () => {
        inference.dispose();
        void models.dispose();
        compare.dispose();
        metrics.dispose();
        labels.dispose();
        jobs.dispose();
        datasets.dispose();
      },
    };
  });
  const demo = new DemoProject(options.resourcesDir, appHome, projects);
  const mediaSource = (): MediaSource => {
    const project = projects.require();
    return {
      datasetRoot: (id) => project.scope.datasets.getDataset(id).root,
      framePath: (id, kind) => project.scope.datasets.resolveFramePath(id, kind),
      labelTrainIds: (id) => project.scope.datasets.labelTrainIds(id),
      cacheDir: () => project.cacheDir,
      predictionFile: (frameId, modelId, kind) => project.scope.inference.predictionFile(frameId, modelId, kind),
      syntheticFile: (frameId) => project.scope.inference.syntheticFile(frameId),
    };
  };
  const info: AppInfo = {
    version: options.version ?? '0.1.0',
    transport: options.transport,
    appHome,
    platform: process.platform,
  };
  const dispatcher = new Dispatcher(createHandlers({ projects, demo, info, providers }), (channel, err) =>
    events.emit({ type: 'log', level: 'error', message: `${channel}: ${String(err)}` }),
  );
  return {
    events,
    projects,
    dispatcher,
    media: new MediaService(mediaSource),
    demo,
    async start() {
      if (projects.reopenLast()) return;
      if (demo.available()) await demo.open();
    },
    dispose() {
      projects.dispose();
      providers.dispose();
      events.dispose();
    },
  };
}

export function assertResources(resourcesDir: string): void {
  if (!existsSync(join(resourcesDir, 'fixtures'))) {
    throw new AppError('NOT_FOUND', `${resourcesDir}: the app's resources (fixtures/) are missing`);
  }
}
