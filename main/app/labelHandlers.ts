import type { labelsChannels, metricsChannels } from '../../common/labelsContract';
import type { Handlers } from './dispatcher';
import type { ProjectServices } from './composition';

type Owned = keyof typeof labelsChannels | keyof typeof metricsChannels;

/** The labels:* and metrics:* handlers, kept beside handlers.ts so that file stays a short table. */
export function labelAndMetricHandlers(scope: () => ProjectServices): Pick<Handlers, Owned> {
  return {
    'labels:spots': ({ queue, datasetId }) => scope().labels.spots(queue, datasetId ?? null),
    'labels:sampleSpots': (request) => scope().labels.sample(request),
    'labels:answerSpot': ({ spotId, trainId, cantTell }) => scope().labels.answer(spotId, trainId, cantTell),
    'labels:frames': ({ datasetId }) => scope().labels.frameQueue(datasetId),
    'labels:proposeFrames': ({ datasetId, count, seed }) => scope().labels.proposeFrames(datasetId, count, seed),
    'labels:mask': ({ frameId }) => scope().labels.mask(frameId),
    'labels:saveMask': ({ frameId, mask }) => scope().labels.saveMaskPacked(frameId, mask),
    'labels:deleteMask': ({ frameId }) => {
      scope().labels.deleteMask(frameId);
      return null;
    },
    'labels:prediction': ({ frameId, modelId }) => scope().labels.prediction(frameId, modelId),
    'labels:exportMasks': ({ folder }) => scope().labels.exportMasks(folder),
    'labels:importMasks': ({ folder, datasetId }) => scope().labels.importMasks(folder, datasetId),
    'labels:exportSpots': ({ format }) => scope().labels.exportSpots(format),
    'labels:importSpots': ({ format, text }) => scope().labels.importSpots(format, text),
    'metrics:report': (request) => scope().metrics.report(request),
    'metrics:refresh': () => {
      const { jobs, metrics } = scope();
      const active = jobs.list().some((j) => j.kind === 'metrics' && (j.status === 'queued' || j.status === 'running'));
      if (active || metrics.pendingFrames() === 0) return { jobId: null };
      return { jobId: jobs.enqueue('metrics', 'Evaluate predictions', {}) };
    },
  };
}
