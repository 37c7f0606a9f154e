import { ISSUES_SHOWN, type AppInfo, type DatasetSummary } from '../../common/contract';
import { inspectionReply, modelSummary, runSummary } from '../inference/replies';
import type { ProviderService } from '../inference/providerService';
import type { ProjectService } from '../services/projectService';
import type { ProjectServices } from './composition';
import type { DemoProject } from './demoProject';
import type { Handlers } from './dispatcher';
import { enqueueInferenceRun } from './inferenceJob';
import { labelAndMetricHandlers } from './labelHandlers';

interface HandlerDeps {
  readonly projects: ProjectService<ProjectServices>;
  readonly demo: DemoProject;
  readonly info: AppInfo;
  readonly providers: ProviderService;
}

/** Channel → service call. Payloads arrive here already validated by the dispatcher. */
export function createHandlers({ projects, demo, info, providers }: HandlerDeps): Handlers {
  const scope = () => projects.require().scope;
  const datasetSummary = (id: number): DatasetSummary => scope().datasets.summary(id);
  return {
    'app:info': () => info,
    'project:recent': () => projects.recentProjects(),
    'project:current': () => projects.summary(),
    'project:create': ({ name, parentDir }) => projects.create(name, parentDir),
    'project:open': ({ path }) => projects.open(path),
    'project:openDemo': () => demo.open(),
    'project:rename': ({ name }) => projects.rename(name),
    'project:close': () => {
      projects.close();
      return null;
    },
    'dataset:add': ({ name, role, root, groundTruthRoot }) => {
      const { datasets, jobs } = scope();
      const dataset = datasets.addDataset({ name, role, root });
      if (groundTruthRoot) datasets.attachGroundTruth(dataset.id, groundTruthRoot);
      const jobId = jobs.enqueue('scan', `Scan ${name}`, { datasetId: dataset.id });
      return { dataset: datasetSummary(dataset.id), jobId };
    },
    'dataset:list': () => scope().datasets.listDatasets().map((d) => datasetSummary(d.id)),
    'dataset:rescan': ({ datasetId }) => {
      const dataset = datasetSummary(datasetId);
      return { jobId: scope().jobs.enqueue('scan', `Scan ${dataset.name}`, { datasetId }) };
    },
    'dataset:frames': ({ datasetId, offset, limit }) => scope().datasets.framePage(datasetId, offset, limit),
    'dataset:issues': ({ datasetId }) => scope().datasets.issues(datasetId, { limit: ISSUES_SHOWN }),
    'dataset:histogram': ({ datasetId }) => ({ pixels: scope().datasets.classHistogram(datasetId) }),
    'jobs:list': () => (projects.current() ? scope().jobs.list() : []),
    'jobs:cancel': ({ jobId }) => {
      scope().jobs.cancel(jobId);
      return null;
    },
    'inference:providers': () => providers.report(),
    'inference:pinProvider': ({ provider }) => providers.pin(provider),
    'inference:setGpuPrecision': ({ precision }) => providers.setGpuPrecision(precision),
    'models:list': () => (projects.current() ? scope().models.list().map(modelSummary) : []),
    'models:inspect': async ({ path }) => inspectionReply(await scope().models.inspect(path)),
    'models:import': async (request) => modelSummary(await scope().models.import(request)),
    'inference:run': ({ datasetId, modelIds }) => enqueueInferenceRun(scope(), datasetId, modelIds),
    'inference:runs': () => (projects.current() ? scope().inference.runs().map(runSummary) : []),
    'compare:frames': (query) => scope().compare.frames(query),
    'compare:frame': ({ frameId }) => scope().compare.frame(frameId),
    'compare:models': () => scope().compare.models(),
    ...labelAndMetricHandlers(scope),
  };
}
