import { useRef, useSyncExternalStore } from 'react';
import type {
  AppInfo,
  DatasetSummary,
  JobSummary,
  ProjectSummary,
  ProviderReport,
  RecentProject,
} from '../../../common/contract';
import { initialCompareState, reduceCompare, type CompareChange, type CompareState } from './compareSlice';

export type Route = 'home' | 'data' | 'models' | 'compare' | 'label' | 'metrics';
export const ROUTES: readonly Route[] = ['home', 'data', 'models', 'compare', 'label', 'metrics'];

export interface JobView extends JobSummary {
  stage: string | null;
  rate: number | null;
  etaSeconds: number | null;
}

export interface AppState {
  route: Route;
  info: AppInfo | null;
  project: ProjectSummary | null;
  recent: RecentProject[];
  datasets: DatasetSummary[];
  jobs: Record<number, JobView>;
  providers: ProviderReport | null;
  notice: { level: 'info' | 'error'; text: string } | null;
  /** A frame another view asked Compare to show (the Metrics timeline sets it). */
  selectedFrame: { frameId: number; datasetId: number | null } | null;
  compare: CompareState;
}

export type Action =
  | { type: 'route'; route: Route }
  | { type: 'info'; info: AppInfo }
  | { type: 'project'; project: ProjectSummary | null }
  | { type: 'recent'; recent: RecentProject[] }
  | { type: 'datasets'; datasets: DatasetSummary[] }
  | { type: 'job'; job: JobView }
  | { type: 'jobs'; jobs: JobSummary[] }
  | { type: 'providers'; providers: ProviderReport }
  | { type: 'selectFrame'; frameId: number; datasetId: number | null }
  | { type: 'notice'; notice: AppState['notice'] }
  | { type: 'compare'; change: CompareChange };

export const initialState: AppState = {
  route: 'home',
  info: null,
  project: null,
  recent: [],
  datasets: [],
  jobs: {},
  providers: null,
  notice: null,
  selectedFrame: null,
  compare: initialCompareState,
};

export function reduce(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'route':
      return { ...state, route: action.route };
    case 'info':
      return { ...state, info: action.info };
    case 'project':
      return action.project?.path === state.project?.path
        ? { ...state, project: action.project }
        : { ...state, project: action.project, datasets: [], jobs: {}, compare: initialCompareState };
    case 'recent':
      return { ...state, recent: action.recent };
    case 'datasets':
      return { ...state, datasets: action.datasets };
    case 'job':
      return { ...state, jobs: { ...state.jobs, [action.job.id]: action.job } };
    case 'jobs':
      return {
        ...state,
        jobs: Object.fromEntries(action.jobs.map((j) => [j.id, { ...j, stage: null, rate: null, etaSeconds: null }])),
      };
    case 'providers':
      return { ...state, providers: action.providers };
    case 'notice':
      return { ...state, notice: action.notice };
    case 'selectFrame':
      return { ...state, selectedFrame: { frameId: action.frameId, datasetId: action.datasetId } };
    case 'compare':
      return { ...state, compare: reduceCompare(state.compare, action.change) };
  }
}

/** One store for the renderer; components read it through selectors. */
export class Store {
  private state = initialState;
  private readonly listeners = new Set<() => void>();

  getState = (): AppState => this.state;

  dispatch = (action: Action): void => {
    this.state = reduce(this.state, action);
    for (const l of this.listeners) l();
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export const store = new Store();

export function useAppState<T>(selector: (state: AppState) => T): T {
  // A selector that derives a fresh array (selectRunningJobs) would hand React a new
  // snapshot on every call, which it treats as a change and re-renders forever; the
  // result is therefore reused until the state or the selector changes.
  const cache = useRef<{ state: AppState; selector: (state: AppState) => T; value: T } | null>(null);
  return useSyncExternalStore(store.subscribe, () => {
    const state = store.getState();
    const hit = cache.current;
    if (hit && hit.state === state && hit.selector === selector) return hit.value;
    const value = selector(state);
    cache.current = { state, selector, value };
    return value;
  });
}

export const selectRunningJobs = (s: AppState): JobView[] =>
  Object.values(s.jobs).filter((j) => j.status === 'running' || j.status === 'queued');
