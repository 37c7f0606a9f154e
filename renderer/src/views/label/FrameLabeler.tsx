import { useCallback, useEffect, useRef, useState } from 'react';
import { TRAIN_CLASSES } from '../../../../common/classes';
import { mediaUrl, type CompareModel } from '../../../../common/contract';
import { classForKey } from '../../../../common/labels/classKeys';
import type { LabelFrame } from '../../../../common/labelsContract';
import { createMask, MaskHistory, type Mask } from '../../../../common/labels/maskOps';
import { api } from '../../client/backend';
import { notifyError, run } from '../../store/actions';
import { ClassPalette } from './ClassPalette';
import { loadFrame, packMask, typingInField, unpackMask, type FramePixels } from './maskCodec';
import { MaskCanvas, type Tool } from './MaskCanvas';
import { ModelSelect } from '../../components/ModelSelect';

const TOOLS: readonly { tool: Tool; label: string; key: string }[] = [
  { tool: 'brush', label: 'Brush', key: 'B' },
  { tool: 'eraser', label: 'Eraser', key: 'E' },
  { tool: 'polygon', label: 'Polygon', key: 'P' },
  { tool: 'superpixel', label: 'Fill region', key: 'S' },
  { tool: 'colour', label: 'Fill colour', key: 'F' },
];

type SaveState = { status: 'idle' | 'saving' | 'saved' | 'error'; at?: string };

/** Full-frame labelling: paint a frame's mask; every finished edit is saved at once. */
export function FrameLabeler({ datasetId, models }: { datasetId: number; models: readonly CompareModel[] }): React.JSX.Element {
  const [frames, setFrames] = useState<LabelFrame[]>([]);
  const [frameId, setFrameId] = useState<number | null>(null);
  const [loaded, setLoaded] = useState<{ frameId: number; frame: FramePixels; mask: Mask } | null>(null);
  const [version, setVersion] = useState(0);
  const [tool, setTool] = useState<Tool>('brush');
  const [trainId, setTrainId] = useState(0);
  const [brushSize, setBrushSize] = useState(16);
  const [tolerance, setTolerance] = useState(24);
  const [opacity, setOpacity] = useState(0.55);
  const [save, setSave] = useState<SaveState>({ status: 'idle' });
  const [history] = useState(() => new MaskHistory());
  const [, setHistoryTick] = useState(0);
  const [count, setCount] = useState(5);
  const [seed, setSeed] = useState(1);
  const segmenters = models.filter((m) => m.role !== 'discriminator');
  const [predictionModel, setPredictionModel] = useState<number | null>(null);
  const saving = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false });

  const refresh = useCallback(() => api.call('labels:frames', { datasetId }).then(setFrames), [datasetId]);
  useEffect(() => {
    void refresh().catch(notifyError);
    setFrameId(null);
    setLoaded(null);
  }, [refresh]);

  useEffect(() => {
    if (frameId === null) return;
    let live = true;
    history.clear();
    setSave({ status: 'idle' });
    void run(async () => {
      const [frame, packed] = await Promise.all([loadFrame(mediaUrl.frameImage(frameId)), api.call('labels:mask', { frameId })]);
      const mask = packed ? { width: packed.width, height: packed.height, data: await unpackMask(packed) } : createMask(frame.width, frame.height);
      if (live) setLoaded({ frameId, frame, mask });
    });
    return () => {
      live = false;
    };
  }, [frameId, history]);

  const persist = useCallback(async () => {
    if (!loaded) return;
    if (saving.current.busy) {
      saving.current.again = true;
      return;
    }
    saving.current.busy = true;
    setSave({ status: 'saving' });
    try {
      do {
        saving.current.again = false;
        const packed = await packMask(loaded.mask.data, loaded.mask.width, loaded.mask.height);
        const { updatedAt } = await api.call('labels:saveMask', { frameId: loaded.frameId, mask: packed });
        setSave({ status: 'saved', at: updatedAt });
      } while (saving.current.again);
      void refresh();
    } catch (err) {
      setSave({ status: 'error' });
      notifyError(err);
    } finally {
      saving.current.busy = false;
    }
  }, [loaded, refresh]);

  const edited = useCallback(() => {
    setHistoryTick((t) => t + 1);
    void persist();
  }, [persist]);

  const replaceMask = (data: Uint8Array) => {
    if (!loaded) return;
    history.begin(loaded.mask);
    loaded.mask.data.set(data);
    if (history.commit(loaded.mask)) edited();
    setVersion((v) => v + 1);
  };
  const undo = () => loaded && history.undo(loaded.mask) && (setVersion((v) => v + 1), edited());
  const redo = () => loaded && history.redo(loaded.mask) && (setVersion((v) => v + 1), edited());

  const keys = useRef({ undo, redo });
  keys.current = { undo, redo };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInField(e)) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) keys.current.redo();
        else keys.current.undo();
        return;
      }
      if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        keys.current.redo();
        return;
      }
      const id = classForKey(e);
      if (id !== null) {
        e.preventDefault();
        setTrainId(id);
        return;
      }
      if (mod || e.altKey) return;
      const t = TOOLS.find((x) => x.key.toLowerCase() === e.key.toLowerCase());
      if (t) setTool(t.tool);
      if (e.key === '[') setBrushSize((s) => Math.max(1, Math.round(s / 1.25)));
      if (e.key === ']') setBrushSize((s) => Math.min(400, Math.round(s * 1.25) + 1));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const startFromPrediction = () =>
    void run(async () => {
      const model = predictionModel ?? segmenters[0]?.id;
      if (!loaded || model === undefined) return;
      const packed = await api.call('labels:prediction', { frameId: loaded.frameId, modelId: model });
      if (!packed) throw new Error('That model has no prediction for this frame yet: run it from the Data view first.');
      if (packed.width !== loaded.mask.width || packed.height !== loaded.mask.height) throw new Error('The prediction is not at frame resolution.');
      replaceMask(await unpackMask(packed));
    });

  const index = frames.findIndex((f) => f.frameId === frameId);
  return (
    <div className="frame-labeler">
      <aside className="frame-list">
        <form
          className="propose-frames"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api.call('labels:proposeFrames', { datasetId, count, seed });
              setSeed((s) => s + 1);
              await refresh();
            });
          }}
        >
          <input type="number" min={1} max={500} value={count} onChange={(e) => setCount(Math.max(1, Number(e.target.value) || 1))} aria-label="Frames to propose" />
          <input type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Number(e.target.value) || 0))} aria-label="Frame seed" title="Seed" />
          <button type="submit">Propose frames</button>
        </form>
        <ul data-testid="label-frames">
          {frames.map((f) => (
            <li key={f.frameId}>
              <button className={f.frameId === frameId ? 'active' : ''} onClick={() => setFrameId(f.frameId)} title={f.relPath}>
                <span className={`dot ${f.labelledAt ? 'done' : ''}`} />
                {f.relPath}
              </button>
            </li>
          ))}
        </ul>
        {frames.length === 0 && <p className="muted">Propose a random set of frames to label in full.</p>}
      </aside>
      <section className="frame-stage">
        <div className="toolbar" role="toolbar" aria-label="Tools">
          {TOOLS.map((t) => (
            <button key={t.tool} className={tool === t.tool ? 'active' : ''} onClick={() => setTool(t.tool)} title={`${t.label} (${t.key})`}>
              {t.label} <kbd>{t.key}</kbd>
            </button>
          ))}
          <label title="Brush size ([ and ])">
            Size <input type="range" min={1} max={200} value={brushSize} onChange={(e) => setBrushSize(Number(e.target.value))} /> {brushSize}px
          </label>
          {tool === 'colour' && (
            <label>
              Tolerance <input type="range" min={0} max={128} value={tolerance} onChange={(e) => setTolerance(Number(e.target.value))} /> {tolerance}
            </label>
          )}
          <label>
            Opacity <input type="range" min={0} max={100} value={Math.round(opacity * 100)} onChange={(e) => setOpacity(Number(e.target.value) / 100)} />
          </label>
          <button onClick={undo} disabled={!history.canUndo} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button onClick={redo} disabled={!history.canRedo} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <span className={`save-state ${save.status}`} data-testid="save-state">
            {save.status === 'saving' ? 'Saving…' : save.status === 'saved' ? `Saved ${new Date(save.at!).toLocaleTimeString()}` : save.status === 'error' ? 'Not saved' : ''}
          </span>
        </div>
        {loaded ? (
          <MaskCanvas
            frame={loaded.frame}
            mask={loaded.mask}
            version={version}
            tool={tool}
            trainId={trainId}
            brushSize={brushSize}
            tolerance={tolerance}
            opacity={opacity}
            onEditStart={() => history.begin(loaded.mask)}
            onEditEnd={() => history.commit(loaded.mask) && edited()}
          />
        ) : (
          <div className="frame-empty muted">{frameId === null ? 'Choose a frame on the left.' : 'Loading…'}</div>
        )}
        <p className="key-help muted">
          Class by key as for spots · wheel zooms · right-drag or Space+drag pans · polygon: click points, double-click or Enter to fill, Esc to drop
        </p>
      </section>
      <aside className="frame-side">
        <h4>
          Painting <span className="swatch" style={{ background: `rgb(${TRAIN_CLASSES[trainId]!.colour.join(',')})` }} /> {TRAIN_CLASSES[trainId]!.name}
        </h4>
        <ClassPalette selected={trainId} onPick={setTrainId} compact />
        <h4>Start from a prediction</h4>
        <div className="row">
          <ModelSelect models={segmenters} value={predictionModel ?? segmenters[0]?.id ?? null} onChange={setPredictionModel} label="Prediction model" />
          <button onClick={startFromPrediction} disabled={!loaded || segmenters.length === 0}>
            Use
          </button>
        </div>
        <div className="row">
          <button onClick={() => loaded && replaceMask(new Uint8Array(loaded.mask.data.length).fill(255))} disabled={!loaded}>
            Clear mask
          </button>
          <button onClick={() => index >= 0 && index + 1 < frames.length && setFrameId(frames[index + 1]!.frameId)} disabled={index < 0 || index + 1 >= frames.length}>
            Next frame
          </button>
        </div>
      </aside>
    </div>
  );
}
