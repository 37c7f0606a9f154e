import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { CompareFrameDetail } from '../../../../common/contract';
import { notifyError } from '../../store/actions';
import { changeCompare, loadPaneFrames } from '../../store/compareActions';
import { PANE_MODES, type PaneId, type PaneMode, type PaneState } from '../../store/compareSlice';
import { useAppState } from '../../store/store';
import { HeatBar, HoverReadout, HoverState, SplitDivider } from './PaneOverlays';
import { useFrameDetail } from './useFrameDetail';
import type { FrameAssets } from './viewer/frameAssets';
import { probeLayers } from './viewer/hoverProbe';
import { PaneViewer, type PaneLayers } from './viewer/PaneViewer';
import type { ViewSync } from './viewer/viewSync';

const PANE_TITLES: Record<PaneId, string> = { sim: 'Simulator', dashcam: 'Dashcam' };
const SINGLE_MODEL_MODES: readonly PaneMode[] = ['mask', 'confidence', 'entropy'];

interface ComparePaneProps {
  readonly pane: PaneId;
  readonly assets: FrameAssets;
  readonly viewSync: ViewSync;
}

/** Why a mode has nothing to draw on this frame, or null when it can draw. */
function missingFor(mode: PaneMode, model: 'a' | 'b', detail: CompareFrameDetail | null, ids: [number | null, number | null]): string | null {
  if (mode === 'image' || !detail) return null;
  const needsModels = mode !== 'synthetic' && mode !== 'groundTruth';
  if (needsModels && ids[0] === null && ids[1] === null) return 'No models yet: import them under Models and run them on this folder';
  const prediction = (id: number | null) => (id === null ? null : (detail.models.find((m) => m.id === id)?.prediction ?? null));
  const chosen = prediction(model === 'a' ? ids[0] : ids[1]);
  const which = model === 'a' ? 'source-only' : 'adapted';
  switch (mode) {
    case 'mask':
      return chosen ? null : `No ${which} prediction for this frame`;
    case 'split':
    case 'disagreement':
      return prediction(ids[0]) && prediction(ids[1]) ? null : 'Needs both models’ predictions for this frame';
    case 'confidence':
      return chosen?.hasConfidence ? null : `No ${which} confidence map for this frame`;
    case 'entropy':
      return chosen?.hasEntropy ? null : `No ${which} entropy map for this frame`;
    case 'synthetic':
      return detail.frame.syntheticScore !== null ? null : 'The discriminator has not scored this frame';
    case 'groundTruth':
      return detail.hasLabel ? null : 'This frame has no label';
  }
}

function PaneHeader({ pane, state, detail }: { pane: PaneId; state: PaneState; detail: CompareFrameDetail | null }): React.JSX.Element {
  const datasets = useAppState((s) => s.datasets);
  const frame = state.frames[state.index] ?? null;
  return (
    <header className="pane-header">
      <div className="pane-title">
        <select
          aria-label={`${PANE_TITLES[pane]} dataset`}
          value={state.datasetId ?? ''}
          onChange={(e) => changeCompare({ kind: 'dataset', pane, datasetId: Number(e.target.value) || null })}
        >
          {datasets.filter((d) => d.role === pane).length === 0 && <option value="">No {PANE_TITLES[pane].toLowerCase()} folder</option>}
          {datasets
            .filter((d) => d.role === pane)
            .map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
        </select>
        <span className="frame-name" title={frame?.relPath} data-testid={`frame-name-${pane}`}>
          {frame ? frame.relPath : '—'}
        </span>
        <span className="frame-position muted">{state.total > 0 ? `${state.index + 1} / ${state.total}` : state.loading ? 'loading…' : '0 frames'}</span>
      </div>
      {detail?.hasLabel && <span className="badge">labelled</span>}
    </header>
  );
}

function PaneControls({ pane, state }: { pane: PaneId; state: PaneState }): React.JSX.Element {
  const frame = state.frames[state.index] ?? null;
  const stat = (value: number | null | undefined, digits = 1) => (value == null ? '—' : `${(value * 100).toFixed(digits)}%`);
  const singleModel = SINGLE_MODEL_MODES.includes(state.mode);
  return (
    <div className="pane-controls">
      <div className="segmented" role="group" aria-label={`${PANE_TITLES[pane]} mode`}>
        {PANE_MODES.map(({ mode, label, title, key }) => (
          <button
            key={mode}
            className={state.mode === mode ? 'active' : ''}
            aria-pressed={state.mode === mode}
            title={`${title} (${key})`}
            data-testid={`mode-${pane}-${mode}`}
            onClick={() => changeCompare({ kind: 'mode', pane, mode })}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="pane-controls-row">
        <div className="segmented" role="group" aria-label={`${PANE_TITLES[pane]} model`}>
          {(['a', 'b'] as const).map((m) => (
            <button
              key={m}
              className={singleModel && state.model === m ? 'active' : ''}
              aria-pressed={state.model === m}
              disabled={!singleModel}
              title={singleModel ? undefined : 'This mode shows both models'}
              data-testid={`model-${pane}-${m}`}
              onClick={() => changeCompare({ kind: 'paneModel', pane, model: m })}
            >
              {m === 'a' ? 'Source-only' : 'Adapted'}
            </button>
          ))}
        </div>
        <label className="opacity">
          <span className="muted">Opacity</span>
          <input
            type="range"
            min={0}
            max={100}
            value={Math.round(state.opacity * 100)}
            aria-label={`${PANE_TITLES[pane]} opacity`}
            data-testid={`opacity-${pane}`}
            onChange={(e) => changeCompare({ kind: 'opacity', pane, opacity: Number(e.target.value) / 100 })}
          />
        </label>
        <span className="pane-stats muted">
          <span title="Pixels where the two models disagree">Δ {stat(frame?.disagreement)}</span>
          <span title="Mean normalised entropy of the predictions">H {stat(frame?.meanEntropy)}</span>
          <span title="Discriminator: mean looks-synthetic probability">syn {stat(frame?.syntheticScore, 0)}</span>
        </span>
      </div>
    </div>
  );
}

export function ComparePane({ pane, assets, viewSync }: ComparePaneProps): React.JSX.Element {
  const state = useAppState((s) => s.compare.panes[pane]);
  const active = useAppState((s) => s.compare.activePane === pane);
  const modelA = useAppState((s) => s.compare.modelA);
  const modelB = useAppState((s) => s.compare.modelB);
  const visibleClasses = useAppState((s) => s.compare.visibleClasses);
  const split = useAppState((s) => s.compare.split);
  const models = useAppState((s) => s.compare.models);
  const sort = useAppState((s) => s.compare.sort);
  const filter = useAppState((s) => s.compare.filter);
  const frame = state.frames[state.index] ?? null;
  const frameId = frame?.id ?? null;
  const detail = useFrameDetail(assets, frameId);
  const hostRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<PaneViewer | null>(null);
  const layersRef = useRef<PaneLayers | null>(null);
  // Re-renders the pane once a frame that was not cached has loaded (to drop "Loading…").
  const [, setLoaded] = useState(0);
  const [hover] = useState(() => new HoverState());

  // A layout effect, so the viewer exists before the layout effects below feed it.
  useLayoutEffect(() => {
    const viewer = new PaneViewer(hostRef.current!, {
      onViewChange: (view) => viewSync.change(pane, view),
      onHover: (pixel) => {
        const layers = layersRef.current;
        hover.set(pixel && layers ? probeLayers(layers, pixel.x, pixel.y) : null);
      },
    });
    viewer.canvas.dataset.testid = `canvas-${pane}`;
    viewer.canvas.addEventListener('dblclick', () => viewSync.reset(pane));
    viewerRef.current = viewer;
    viewSync.attach(pane, viewer);
    return () => {
      viewSync.detach(pane, viewer);
      viewer.dispose();
      viewerRef.current = null;
    };
  }, [pane, viewSync, hover]);

  useEffect(() => {
    if (state.datasetId !== null) void loadPaneFrames(pane);
  }, [pane, state.datasetId, sort, filter]);

  // Layout effects: a cached frame reaches the viewer in the commit that selected it.
  useLayoutEffect(() => {
    if (frameId === null) {
      layersRef.current = null;
      viewerRef.current?.setLayers(null);
      return;
    }
    let live = true;
    const show = (layers: PaneLayers) => {
      if (!live) return;
      layersRef.current = layers;
      viewerRef.current?.setLayers(layers);
      // The readout described the previous frame; it returns with the next pointer move.
      hover.set(null);
      const { frames, index } = state;
      const near = [index + 1, index + 2, index - 1, index + 3].map((i) => frames[i]?.id).filter((id) => id !== undefined);
      // After the draw: decoding neighbours must not delay this frame.
      // Their textures are uploaded as they arrive, so stepping onto one uploads nothing.
      setTimeout(() => live && assets.prefetch(near, { a: modelA, b: modelB }, (next) => live && viewerRef.current?.preload(next)), 50);
    };
    const result = assets.layers(frameId, { a: modelA, b: modelB });
    // Cached frames are shown in this same task: that is what makes stepping instant.
    if (result instanceof Promise) {
      result.then(
        (layers) => {
          show(layers);
          if (live) setLoaded((n) => n + 1);
        },
        (err) => live && notifyError(err),
      );
    } else {
      show(result);
    }
    return () => {
      live = false;
    };
    // The frame list only matters for prefetching, which may lag one step behind.
  }, [assets, frameId, modelA, modelB, hover]);

  useLayoutEffect(() => {
    viewerRef.current?.setStyle({ mode: state.mode, opacity: state.opacity, model: state.model, visibleClasses, split });
  }, [state.mode, state.opacity, state.model, visibleClasses, split]);

  // Declared last, so it runs once this commit has fed the viewer everything: the draw then
  // starts before React's passive effects and the page's layout instead of after them.
  useLayoutEffect(() => viewerRef.current?.renderPending());

  const nameOf = (id: number | null, fallback: string) => models.find((m) => m.id === id)?.name ?? fallback;
  const missing = missingFor(state.mode, state.model, detail, [modelA, modelB]);
  // Asked of the cache rather than kept as state: setting state on every switch would render
  // the pane twice per frame, inserting and removing this note each time.
  const loading = frameId !== null && !assets.ready(frameId, { a: modelA, b: modelB });
  return (
    <section
      className={`compare-pane${active ? ' active' : ''}`}
      data-testid={`pane-${pane}`}
      onPointerDownCapture={() => changeCompare({ kind: 'activePane', pane })}
    >
      <PaneHeader pane={pane} state={state} detail={detail} />
      <PaneControls pane={pane} state={state} />
      <div className="pane-stage">
        <div className="pane-host" ref={hostRef} />
        {state.mode === 'split' && !missing && (
          <>
            <SplitDivider split={split} />
            <span className="split-label left">{nameOf(modelA, 'Source-only')}</span>
            <span className="split-label right">{nameOf(modelB, 'Adapted')}</span>
          </>
        )}
        {missing && <div className="pane-note">{missing}</div>}
        {frameId === null && !state.loading && (
          <div className="pane-empty">
            {state.datasetId === null ? `Add a ${PANE_TITLES[pane].toLowerCase()} folder in Data.` : 'No frames match the filter.'}
          </div>
        )}
        {loading && <div className="pane-loading">Loading…</div>}
        <HeatBar mode={state.mode} />
        <HoverReadout hover={hover} nameA={nameOf(modelA, 'Source-only')} nameB={nameOf(modelB, 'Adapted')} />
      </div>
    </section>
  );
}
