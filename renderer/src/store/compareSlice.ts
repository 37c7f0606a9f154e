import { NUM_TRAIN_CLASSES } from '../../../common/classes';
import type { CompareFilter, CompareFrameRow, CompareModel, CompareSort } from '../../../common/contract';

export type PaneId = 'sim' | 'dashcam';
export const PANE_IDS: readonly PaneId[] = ['sim', 'dashcam'];

export type PaneMode = 'image' | 'mask' | 'split' | 'disagreement' | 'confidence' | 'entropy' | 'synthetic' | 'groundTruth';
export const PANE_MODES: readonly { mode: PaneMode; label: string; title: string; key: string }[] = [
  { mode: 'image', label: 'Image', title: 'Image only', key: '1' },
  { mode: 'mask', label: 'Mask', title: 'One model’s mask', key: '2' },
  { mode: 'split', label: 'Split', title: 'Split-swipe: source-only left, adapted right', key: '3' },
  { mode: 'disagreement', label: 'Diff', title: 'Disagreement: pixels where the two models differ', key: '4' },
  { mode: 'confidence', label: 'Conf', title: 'Confidence heatmap', key: '5' },
  { mode: 'entropy', label: 'Entropy', title: 'Entropy heatmap', key: '6' },
  { mode: 'synthetic', label: 'Synthetic', title: 'Discriminator: looks synthetic', key: '7' },
  { mode: 'groundTruth', label: 'GT', title: 'Ground truth label', key: '8' },
];

export const ALL_CLASSES_VISIBLE = (1 << NUM_TRAIN_CLASSES) - 1;

export interface PaneState {
  readonly datasetId: number | null;
  /** The loaded part of the sorted, filtered frame list; `total` counts all of it. */
  readonly frames: readonly CompareFrameRow[];
  readonly total: number;
  readonly loading: boolean;
  readonly index: number;
  /** A frame asked for by id (from another view) that the loaded pages do not hold yet. */
  readonly seekFrameId: number | null;
  readonly mode: PaneMode;
  readonly opacity: number;
  /** Which model the single-model modes show: a = source-only, b = adapted. */
  readonly model: 'a' | 'b';
}

export interface CompareState {
  readonly panes: Readonly<Record<PaneId, PaneState>>;
  readonly activePane: PaneId;
  readonly sort: CompareSort;
  readonly filter: CompareFilter;
  readonly models: readonly CompareModel[];
  readonly modelA: number | null;
  readonly modelB: number | null;
  /** Bit n set: trainId n is drawn. */
  readonly visibleClasses: number;
  readonly linkedView: boolean;
  readonly stepTogether: boolean;
  /** Split-swipe divider, a fraction of the pane width. */
  readonly split: number;
}

export type CompareChange =
  | { kind: 'reset' }
  | { kind: 'models'; models: CompareModel[] }
  | { kind: 'pickModels'; a: number | null; b: number | null }
  | { kind: 'dataset'; pane: PaneId; datasetId: number | null }
  | { kind: 'framesLoading'; pane: PaneId }
  | { kind: 'frames'; pane: PaneId; frames: CompareFrameRow[]; total: number; append: boolean; keepFrameId: number | null }
  | { kind: 'step'; panes: readonly PaneId[]; delta: number }
  | { kind: 'goTo'; pane: PaneId; index: number }
  | { kind: 'seek'; pane: PaneId; frameId: number | null }
  | { kind: 'mode'; pane: PaneId; mode: PaneMode }
  | { kind: 'opacity'; pane: PaneId; opacity: number }
  | { kind: 'paneModel'; pane: PaneId; model: 'a' | 'b' }
  | { kind: 'activePane'; pane: PaneId }
  | { kind: 'sort'; sort: CompareSort }
  | { kind: 'filter'; filter: CompareFilter }
  | { kind: 'toggleClass'; trainId: number }
  | { kind: 'soloClass'; trainId: number }
  | { kind: 'showClasses'; visible: number }
  | { kind: 'linkView'; linked: boolean }
  | { kind: 'stepTogether'; together: boolean }
  | { kind: 'split'; split: number };

const initialPane: PaneState = {
  datasetId: null,
  frames: [],
  total: 0,
  loading: false,
  index: 0,
  seekFrameId: null,
  mode: 'mask',
  opacity: 0.6,
  model: 'b',
};

export const initialCompareState: CompareState = {
  panes: { sim: initialPane, dashcam: { ...initialPane, mode: 'split' } },
  activePane: 'dashcam',
  sort: 'index',
  filter: {},
  models: [],
  modelA: null,
  modelB: null,
  visibleClasses: ALL_CLASSES_VISIBLE,
  linkedView: true,
  stepTogether: false,
  split: 0.5,
};

export function reduceCompare(state: CompareState, change: CompareChange): CompareState {
  const pane = (id: PaneId, patch: Partial<PaneState>): CompareState => ({
    ...state,
    panes: { ...state.panes, [id]: { ...state.panes[id], ...patch } },
  });
  switch (change.kind) {
    case 'reset':
      return initialCompareState;
    case 'models':
      return { ...state, models: change.models, ...defaultModelPair(change.models, state.modelA, state.modelB) };
    case 'pickModels':
      return { ...state, modelA: change.a, modelB: change.b };
    case 'dataset':
      return pane(change.pane, { datasetId: change.datasetId, frames: [], total: 0, index: 0, seekFrameId: null });
    case 'framesLoading':
      return pane(change.pane, { loading: true });
    case 'frames': {
      const current = state.panes[change.pane];
      const frames = change.append ? [...current.frames, ...change.frames] : change.frames;
      // Re-sorting keeps the frame the user was looking at, wherever it moved to.
      const wanted = current.seekFrameId ?? change.keepFrameId;
      const found = wanted === null ? -1 : frames.findIndex((f) => f.id === wanted);
      const index = found >= 0 ? found : change.append ? current.index : 0;
      const seekFrameId = found >= 0 ? null : current.seekFrameId;
      return pane(change.pane, { frames, total: change.total, loading: false, index, seekFrameId });
    }
    case 'step': {
      let next = state;
      for (const id of change.panes) {
        const p = next.panes[id];
        if (p.frames.length === 0) continue;
        const index = clamp(p.index + change.delta, 0, p.frames.length - 1);
        next = { ...next, panes: { ...next.panes, [id]: { ...p, index } } };
      }
      return next;
    }
    case 'goTo': {
      const p = state.panes[change.pane];
      return pane(change.pane, { index: clamp(change.index, 0, Math.max(0, p.frames.length - 1)) });
    }
    case 'seek': {
      const found = state.panes[change.pane].frames.findIndex((f) => f.id === change.frameId);
      return found >= 0 ? pane(change.pane, { index: found, seekFrameId: null }) : pane(change.pane, { seekFrameId: change.frameId });
    }
    case 'mode':
      return pane(change.pane, { mode: change.mode });
    case 'opacity':
      return pane(change.pane, { opacity: clamp(change.opacity, 0, 1) });
    case 'paneModel':
      return pane(change.pane, { model: change.model });
    case 'activePane':
      return state.activePane === change.pane ? state : { ...state, activePane: change.pane };
    case 'sort':
      return { ...state, sort: change.sort };
    case 'filter':
      return { ...state, filter: change.filter };
    case 'toggleClass':
      return { ...state, visibleClasses: state.visibleClasses ^ (1 << change.trainId) };
    case 'soloClass': {
      const only = 1 << change.trainId;
      // Soloing the class that is already alone brings every class back.
      return { ...state, visibleClasses: state.visibleClasses === only ? ALL_CLASSES_VISIBLE : only };
    }
    case 'showClasses':
      return { ...state, visibleClasses: change.visible & ALL_CLASSES_VISIBLE };
    case 'linkView':
      return { ...state, linkedView: change.linked };
    case 'stepTogether':
      return { ...state, stepTogether: change.together };
    case 'split':
      return { ...state, split: clamp(change.split, 0, 1) };
  }
}

/** Source-only on the left of a split and adapted on the right, unless the user chose. */
function defaultModelPair(
  models: readonly CompareModel[],
  a: number | null,
  b: number | null,
): { modelA: number | null; modelB: number | null } {
  const segmenters = models.filter((m) => m.role !== 'discriminator');
  const has = (id: number | null) => id !== null && segmenters.some((m) => m.id === id);
  const modelA = has(a) ? a : (segmenters.find((m) => m.role === 'source_only') ?? segmenters[0])?.id ?? null;
  const modelB = has(b)
    ? b
    : (segmenters.find((m) => m.role === 'adapted') ?? segmenters.find((m) => m.id !== modelA))?.id ?? null;
  return { modelA, modelB };
}

export const selectCurrentFrame = (state: CompareState, id: PaneId): CompareFrameRow | null =>
  state.panes[id].frames[state.panes[id].index] ?? null;

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
