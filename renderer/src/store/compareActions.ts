import { api } from '../client/backend';
import { notifyError } from './actions';
import { PANE_IDS, selectCurrentFrame, type CompareChange, type PaneId } from './compareSlice';
import { store } from './store';

const PAGE_SIZE = 500;
/** Load the next page once the user is this close to the end of what is loaded. */
const PAGE_AHEAD = 25;

export function changeCompare(change: CompareChange): void {
  store.dispatch({ type: 'compare', change });
}

const compareState = () => store.getState().compare;

export async function loadCompareModels(): Promise<void> {
  changeCompare({ kind: 'models', models: await api.call('compare:models', {}) });
}

/** Each pane answers only its latest request, so a slow page for an old sort cannot win. */
const latestRequest: Record<PaneId, number> = { sim: 0, dashcam: 0 };

export async function loadPaneFrames(pane: PaneId, append = false): Promise<void> {
  const { sort, filter, panes } = compareState();
  const current = panes[pane];
  if (current.datasetId === null) return;
  if (append && (current.loading || current.frames.length >= current.total)) return;
  const request = ++latestRequest[pane];
  changeCompare({ kind: 'framesLoading', pane });
  const keepFrameId = selectCurrentFrame(compareState(), pane)?.id ?? null;
  try {
    const page = await api.call('compare:frames', {
      datasetId: current.datasetId,
      sort,
      filter,
      offset: append ? current.frames.length : 0,
      limit: PAGE_SIZE,
    });
    if (request !== latestRequest[pane]) return;
    changeCompare({ kind: 'frames', pane, frames: page.frames, total: page.total, append, keepFrameId });
    await continueSeek(pane);
  } catch (err) {
    if (request === latestRequest[pane]) changeCompare({ kind: 'frames', pane, frames: [], total: 0, append: false, keepFrameId });
    notifyError(err);
  }
}

/** Pages on until a sought frame is loaded; a frame the filter hides clears the filter. */
async function continueSeek(pane: PaneId): Promise<void> {
  const p = compareState().panes[pane];
  if (p.seekFrameId === null) return;
  if (p.frames.length < p.total) return loadPaneFrames(pane, true);
  if (Object.keys(compareState().filter).length > 0) {
    changeCompare({ kind: 'filter', filter: {} });
  } else {
    changeCompare({ kind: 'seek', pane, frameId: null });
  }
}

/** Shows a frame another view picked: its folder in its pane, that pane active. */
export async function openFrame(frameId: number): Promise<void> {
  const { dataset } = await api.call('compare:frame', { frameId });
  const pane = dataset.role;
  changeCompare({ kind: 'activePane', pane });
  const sameDataset = compareState().panes[pane].datasetId === dataset.id;
  if (!sameDataset) changeCompare({ kind: 'dataset', pane, datasetId: dataset.id });
  changeCompare({ kind: 'seek', pane, frameId });
  // A new dataset is loaded by its pane; in the same one, page on from what is loaded.
  if (sameDataset) await continueSeek(pane);
}

export function reloadAllPanes(): void {
  for (const pane of PANE_IDS) void loadPaneFrames(pane);
}

/** Steps the active pane, or both when they step together, loading more frames ahead. */
export function stepFrames(delta: number): void {
  const { stepTogether, activePane } = compareState();
  const panes = stepTogether ? PANE_IDS : [activePane];
  changeCompare({ kind: 'step', panes, delta });
  for (const pane of panes) {
    const p = compareState().panes[pane];
    if (p.frames.length - p.index <= PAGE_AHEAD) void loadPaneFrames(pane, true);
  }
}

export function goToFrame(pane: PaneId, index: number): void {
  changeCompare({ kind: 'goTo', pane, index });
  const p = compareState().panes[pane];
  if (p.frames.length - p.index <= PAGE_AHEAD) void loadPaneFrames(pane, true);
}
