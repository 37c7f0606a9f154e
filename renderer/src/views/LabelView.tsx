import { useEffect, useState } from 'react';
import type { CompareModel } from '../../../common/contract';
import { api } from '../client/backend';
import { run } from '../store/actions';
import { useAppState } from '../store/store';
import { ExchangePanel } from './label/ExchangePanel';
import { FrameLabeler } from './label/FrameLabeler';
import { SpotChecker } from './label/SpotChecker';
import './label/label.css';

type Mode = 'spots' | 'frames';

/** Labelling dashcam frames offline: spot checks for estimates, full frames for detail. */
export function LabelView(): React.JSX.Element {
  const datasets = useAppState((s) => s.datasets);
  const dashcams = datasets.filter((d) => d.role === 'dashcam');
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const [mode, setMode] = useState<Mode>('spots');
  const [models, setModels] = useState<CompareModel[]>([]);
  const [generation, setGeneration] = useState(0);
  const current = dashcams.find((d) => d.id === datasetId) ?? dashcams[0];

  useEffect(() => {
    void run(() => api.call('compare:models', {})).then((m) => m && setModels(m));
  }, []);

  if (!current) {
    return (
      <div className="label-view empty">
        <h2>Label</h2>
        <p>Add a dashcam folder in the Data view; spot checks and frame labels are made on dashcam frames.</p>
      </div>
    );
  }
  return (
    <div className="label-view">
      <header className="label-header">
        <div className="tabs" role="tablist">
          <button role="tab" aria-selected={mode === 'spots'} className={mode === 'spots' ? 'active' : ''} onClick={() => setMode('spots')}>
            Spot checks
          </button>
          <button role="tab" aria-selected={mode === 'frames'} className={mode === 'frames' ? 'active' : ''} onClick={() => setMode('frames')}>
            Full frames
          </button>
        </div>
        <select value={current.id} onChange={(e) => setDatasetId(Number(e.target.value))} aria-label="Dashcam folder">
          {dashcams.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.frameCount} frames)
            </option>
          ))}
        </select>
        <ExchangePanel datasetId={current.id} onImported={() => setGeneration((g) => g + 1)} />
      </header>
      {mode === 'spots' ? (
        <SpotChecker key={`${current.id}:${generation}`} datasetId={current.id} models={models} />
      ) : (
        <FrameLabeler key={`${current.id}:${generation}`} datasetId={current.id} models={models} />
      )}
    </div>
  );
}
