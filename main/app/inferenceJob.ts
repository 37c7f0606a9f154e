import type { ProjectServices } from './composition';

/**
 * Creates an inference run over a dataset and queues the job that executes it: what the Models
 * view's Run button asks for, and what the demo project starts on its first open.
 */
export function enqueueInferenceRun(
  scope: Pick<ProjectServices, 'datasets' | 'inference' | 'jobs' | 'models'>,
  datasetId: number,
  modelIds: readonly number[],
): { runId: number; jobId: number } {
  const runId = scope.inference.createRun(datasetId, modelIds);
  const names = modelIds.map((id) => scope.models.get(id).name).join(', ');
  const jobId = scope.jobs.enqueue('inference', `Run ${names} on ${scope.datasets.summary(datasetId).name}`, { runId });
  return { runId, jobId };
}
