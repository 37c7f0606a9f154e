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
  // A cancelled or failed run over the same models continues (its frames done are skipped)
  // rather than staying unfinished in the list beside a new one. Queued and running runs have
  // their job already.
  const runId = scope.inference.resumeOrCreate(datasetId, modelIds, true);
  const names = modelIds.map((id) => scope.models.get(id).name).join(', ');
  const jobId = scope.jobs.enqueue('inference', `Run ${names} on ${scope.datasets.summary(datasetId).name}`, { runId });
  return { runId, jobId };
}
