import type { AppEvent } from '../../../common/contract';
import { api } from '../client/backend';
import { ClientError } from '../client/apiClient';
import { store, type Route } from './store';

export function navigate(route: Route): void {
  if (window.location.hash !== `#/${route}`) window.location.hash = `#/${route}`;
  store.dispatch({ type: 'route', route });
}

/** Opens a frame in the Compare view; Compare reads `selectedFrame` from the store. */
export function selectFrame(frameId: number, datasetId: number | null = null): void {
  store.dispatch({ type: 'selectFrame', frameId, datasetId });
  navigate('compare');
}

export function notifyError(err: unknown): void {
  const text = err instanceof ClientError || err instanceof Error ? err.message : String(err);
  store.dispatch({ type: 'notice', notice: { level: 'error', text } });
}

export async function refreshDatasets(): Promise<void> {
  if (!store.getState().project) return;
  store.dispatch({ type: 'datasets', datasets: await api.call('dataset:list', {}) });
}

export async function refreshAll(): Promise<void> {
  const [info, project, recent, providers] = await Promise.all([
    api.call('app:info', {}),
    api.call('project:current', {}),
    api.call('project:recent', {}),
    api.call('inference:providers', {}),
  ]);
  store.dispatch({ type: 'info', info });
  store.dispatch({ type: 'project', project });
  store.dispatch({ type: 'recent', recent });
  store.dispatch({ type: 'providers', providers });
  if (project) {
    store.dispatch({ type: 'jobs', jobs: await api.call('jobs:list', {}) });
    await refreshDatasets();
  }
}

export function applyEvent(event: AppEvent): void {
  switch (event.type) {
    case 'job':
      store.dispatch({ type: 'job', job: { ...event.job, stage: event.stage, rate: event.rate, etaSeconds: event.etaSeconds } });
      if (event.job.status === 'done') void refreshDatasets().catch(notifyError);
      break;
    case 'project':
      store.dispatch({ type: 'project', project: event.project });
      void api.call('project:recent', {}).then((recent) => store.dispatch({ type: 'recent', recent }));
      if (event.project) void refreshDatasets().catch(notifyError);
      break;
    case 'datasets-changed':
      void refreshDatasets().catch(notifyError);
      break;
    case 'log':
      if (event.level === 'error') store.dispatch({ type: 'notice', notice: { level: 'error', text: event.message } });
      break;
  }
}

export async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    notifyError(err);
    return undefined;
  }
}
