import { useCallback, useEffect, useState } from 'react';
import type { ModelInspection, ModelSummary, InferenceRunSummary } from '../../../common/inferenceContract';
import { api } from '../client/backend';
import { run } from '../store/actions';
import { store, useAppState } from '../store/store';
import { RunList } from './models/RunList';

type Pin = 'auto' | 'cuda' | 'webgpu' | 'cpu';
type Role = ModelSummary['role'];

function ProviderPanel(): React.JSX.Element {
  const providers = useAppState((s) => s.providers);
  const pin = (value: Pin) =>
    void run(async () => {
      const report = await api.call('inference:pinProvider', { provider: value === 'auto' ? null : value });
      store.dispatch({ type: 'providers', providers: report });
    });
  const setPrecision = (precision: 'fp32' | 'fp16') =>
    void run(async () => {
      store.dispatch({ type: 'providers', providers: await api.call('inference:setGpuPrecision', { precision }) });
    });
  return (
    <section className="panel" data-testid="providers">
      <h3>Execution provider</h3>
      <p>
        Running on <strong data-testid="active-provider">{providers?.active ?? 'none yet'}</strong>. Order tried: CUDA, then
        WebGPU, then CPU.
      </p>
      <label>
        Pin{' '}
        <select aria-label="Pin execution provider" value={providers?.pinned ?? 'auto'} onChange={(e) => pin(e.target.value as Pin)}>
          <option value="auto">Automatic</option>
          <option value="cuda">CUDA</option>
          <option value="webgpu">WebGPU</option>
          <option value="cpu">CPU</option>
        </select>
      </label>{' '}
      <label title="Float16 halves a GPU's memory traffic; masks can differ from float32 at a few pixels. The CPU always runs float32. Applies to runs started from now on.">
        GPU precision{' '}
        <select aria-label="GPU precision" value={providers?.gpuPrecision ?? 'fp32'} onChange={(e) => setPrecision(e.target.value as 'fp32' | 'fp16')}>
          <option value="fp32">float32</option>
          <option value="fp16">float16</option>
        </select>
      </label>
      <ul className="attempts">
        {providers?.attempts.map((a) => (
          <li key={a.provider}>
            <strong>{a.provider}</strong>: {a.ok ? (a.reason ? `works; ${a.reason}` : 'works') : a.reason}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ImportPanel({ onImported }: { onImported: () => void }): React.JSX.Element {
  const [path, setPath] = useState('');
  const [inspection, setInspection] = useState<ModelInspection | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('custom');
  const inspect = () =>
    void run(async () => {
      const found = await api.call('models:inspect', { path: path.trim() });
      setInspection(found);
      setName(found.suggested.name);
    });
  const importModel = () =>
    void run(async () => {
      if (!inspection) return;
      const { suggested } = inspection;
      await api.call('models:import', {
        path: inspection.path,
        name: name.trim() || suggested.name,
        role,
        classes: suggested.classes,
        mean: suggested.mean,
        std: suggested.std,
        inputSize: suggested.inputSize,
      });
      setInspection(null);
      setPath('');
      onImported();
    });
  return (
    <section className="panel">
      <h3>Import an ONNX model</h3>
      <div className="row">
        <input aria-label="Model file" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/model.onnx" />
        <button disabled={!path.trim()} onClick={inspect}>
          Inspect
        </button>
      </div>
      {inspection && (
        <div className="inspection" data-testid="inspection">
          <p>
            Input <code>{inspection.inputName}</code> [{inspection.inputShape.join(', ')}] → output{' '}
            <code>{inspection.outputName}</code> [{inspection.outputShape.join(', ')}];{' '}
            {inspection.hasCard ? 'model card found' : 'no model card'}.
          </p>
          {inspection.needs.length > 0 && (
            <p className="muted">
              Not stated by the file: {inspection.needs.join(', ')}. Using the defaults: {inspection.suggested.classes.length}{' '}
              Cityscapes classes, mean [{inspection.suggested.mean.join(', ')}], std [{inspection.suggested.std.join(', ')}], input{' '}
              {inspection.suggested.inputSize.height}×{inspection.suggested.inputSize.width}.
            </p>
          )}
          <div className="row">
            <input aria-label="Model name" value={name} onChange={(e) => setName(e.target.value)} />
            <select aria-label="Model role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="custom">custom</option>
              <option value="source_only">source-only</option>
              <option value="adapted">adapted</option>
              <option value="oracle">oracle</option>
              <option value="discriminator">discriminator</option>
            </select>
            <button onClick={importModel}>Import</button>
          </div>
        </div>
      )}
    </section>
  );
}

function RunPanel({ models }: { models: ModelSummary[] }): React.JSX.Element {
  const datasets = useAppState((s) => s.datasets);
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const target = datasetId ?? datasets[0]?.id ?? null;
  const segmenters = models.filter((m) => m.kind === 'segmentation' && m.available);
  const toggle = (id: number) => setChosen((prev) => new Set(prev.has(id) ? [...prev].filter((x) => x !== id) : [...prev, id]));
  return (
    <section className="panel">
      <h3>Run models on a folder</h3>
      <div className="row">
        <select aria-label="Dataset to run on" value={target ?? ''} onChange={(e) => setDatasetId(Number(e.target.value))}>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.frameCount} frames)
            </option>
          ))}
        </select>
        {segmenters.map((m) => (
          <label key={m.id}>
            <input type="checkbox" checked={chosen.has(m.id)} onChange={() => toggle(m.id)} /> {m.name}
          </label>
        ))}
        <button
          disabled={target === null || chosen.size === 0}
          onClick={() => void run(() => api.call('inference:run', { datasetId: target!, modelIds: [...chosen] }))}
        >
          Run
        </button>
      </div>
      <p className="muted">Frames already segmented by a model are skipped, so a stopped run continues where it was.</p>
    </section>
  );
}

export function ModelsView(): React.JSX.Element {
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [runs, setRuns] = useState<InferenceRunSummary[]>([]);
  const jobs = useAppState((s) => s.jobs);
  const refresh = useCallback(() => {
    void run(async () => {
      setModels(await api.call('models:list', {}));
      setRuns(await api.call('inference:runs', {}));
    });
  }, []);
  useEffect(refresh, [refresh, jobs]);
  return (
    <div className="models-view">
      <ProviderPanel />
      <section className="panel">
        <h3>Models in this project</h3>
        <table className="models" data-testid="models">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Method</th>
              <th>Input</th>
              <th>Classes</th>
              <th>File</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td>{m.role}</td>
                <td>{m.method ?? '—'}</td>
                <td>
                  {m.inputSize.height}×{m.inputSize.width}
                </td>
                <td>{m.classes.length}</td>
                <td>
                  <code title={m.sha256}>{m.path}</code>
                  {!m.available && <em> (missing)</em>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <RunPanel models={models} />
      <ImportPanel onImported={refresh} />
      <section className="panel">
        <h3>Runs</h3>
        <RunList runs={runs} onResume={(r) => void run(() => api.call('inference:run', { datasetId: r.datasetId, modelIds: r.modelIds }))} />
      </section>
    </div>
  );
}
