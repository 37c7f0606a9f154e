import { useCallback, useEffect, useMemo, useRef } from 'react';
import { api } from '../client/backend';
import { notifyError } from '../store/actions';
import { changeCompare, loadCompareModels, openFrame, reloadAllPanes, stepFrames } from '../store/compareActions';
import { PANE_IDS, PANE_MODES } from '../store/compareSlice';
import { store, useAppState } from '../store/store';
import { ClassLegend } from './compare/ClassLegend';
import { ComparePane } from './compare/ComparePane';
import { CompareToolbar } from './compare/CompareToolbar';
import { Filmstrip } from './compare/Filmstrip';
import { FrameAssets } from './compare/viewer/frameAssets';
import { ViewSync } from './compare/viewer/viewSync';
import './compare/compare.css';

const PAGE_STEP = 10;
/** The last frame request from another view that Compare acted on (each request is a new object). */
let handledSelection: unknown = null;

function onKey(event: KeyboardEvent): void {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  // Form controls keep their own keys (a range slider's arrows, a select's letters).
  const target = event.target as HTMLElement | null;
  if (target?.closest?.('input:not([type="checkbox"]), select, textarea, [role="slider"]')) return;
  const step: Record<string, number> = {
    ArrowRight: 1,
    ArrowDown: 1,
    ArrowLeft: -1,
    ArrowUp: -1,
    PageDown: PAGE_STEP,
    PageUp: -PAGE_STEP,
    Home: -Infinity,
    End: Infinity,
  };
  const delta = step[event.key];
  if (delta !== undefined) {
    event.preventDefault();
    stepFrames(Number.isFinite(delta) ? delta : delta > 0 ? 1e9 : -1e9);
    return;
  }
  const mode = PANE_MODES.find((m) => m.key === event.key);
  if (mode) changeCompare({ kind: 'mode', pane: store.getState().compare.activePane, mode: mode.mode });
}

/**
 * Simulator and dashcam frames side by side, each with the source-only and adapted
 * models' masks over it, so the user can see where adaptation changed the answer.
 */
export function CompareView(): React.JSX.Element {
  const projectPath = useAppState((s) => s.project?.path ?? null);
  const datasets = useAppState((s) => s.datasets);
  const linked = useAppState((s) => s.compare.linkedView);
  const selectedFrame = useAppState((s) => s.selectedFrame);
  const doneJobs = useAppState((s) => Object.values(s.jobs).filter((j) => j.status === 'done').length);
  const assets = useMemo(
    () => new FrameAssets((frameId) => api.call('compare:frame', { frameId })),
    // A new project means new frame ids: nothing cached may carry over.
    [projectPath],
  );
  const viewSync = useMemo(() => new ViewSync(), []);

  const refresh = useCallback(() => {
    assets.clear();
    loadCompareModels().catch(notifyError);
    reloadAllPanes();
  }, [assets]);

  useEffect(() => {
    if (projectPath) loadCompareModels().catch(notifyError);
  }, [projectPath]);

  // Inference writes predictions as jobs finish: show them without a manual refresh.
  const seenDone = useRef(doneJobs);
  useEffect(() => {
    if (doneJobs > seenDone.current) refresh();
    seenDone.current = doneJobs;
  }, [doneJobs, refresh]);

  useEffect(() => {
    const panes = store.getState().compare.panes;
    for (const pane of PANE_IDS) {
      const current = panes[pane].datasetId;
      if (current !== null && datasets.some((d) => d.id === current && d.role === pane)) continue;
      const first = datasets.find((d) => d.role === pane);
      if ((first?.id ?? null) !== current) changeCompare({ kind: 'dataset', pane, datasetId: first?.id ?? null });
    }
  }, [datasets]);

  useEffect(() => {
    if (!selectedFrame || selectedFrame === handledSelection) return;
    handledSelection = selectedFrame;
    openFrame(selectedFrame.frameId).catch(notifyError);
  }, [selectedFrame]);

  useEffect(() => {
    viewSync.setLinked(linked, store.getState().compare.activePane);
  }, [linked, viewSync]);

  useEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!projectPath) {
    return (
      <div className="placeholder">
        <h2>Compare</h2>
        <p>Open or create a project first.</p>
      </div>
    );
  }
  return (
    <div className="compare-view" data-testid="compare-view">
      <CompareToolbar onRefresh={refresh} />
      <div className="compare-main">
        <div className="compare-panes">
          {PANE_IDS.map((pane) => (
            <ComparePane key={pane} pane={pane} assets={assets} viewSync={viewSync} />
          ))}
        </div>
        <ClassLegend assets={assets} />
      </div>
      <Filmstrip />
    </div>
  );
}
