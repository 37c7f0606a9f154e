import { useEffect, useState } from 'react';
import { Bar, BarChart, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { TRAIN_CLASSES } from '../../../common/classes';
import { mediaUrl, type DatasetIssue, type DatasetSummary, type FrameSummary } from '../../../common/contract';
import { api } from '../client/backend';
import { refreshDatasets, run } from '../store/actions';
import { useAppState } from '../store/store';

const PAGE = 60;

function AddDatasetForm(): React.JSX.Element {
  const [role, setRole] = useState<'sim' | 'dashcam'>('sim');
  const [name, setName] = useState('');
  const [root, setRoot] = useState('');
  const [gt, setGt] = useState('');
  const browse = (set: (p: string) => void) => void api.pickFolder().then((p) => p && set(p));
  return (
    <form
      className="add-dataset"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await api.call('dataset:add', {
            name: name.trim() || (role === 'sim' ? 'Simulator' : 'Dashcam'),
            role,
            root: root.trim(),
            ...(gt.trim() ? { groundTruthRoot: gt.trim() } : {}),
          });
          setRoot('');
          setGt('');
          setName('');
          await refreshDatasets();
        });
      }}
    >
      <h3>Add a folder</h3>
      <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as 'sim' | 'dashcam')}>
        <option value="sim">Simulator folder (labelled)</option>
        <option value="dashcam">Dashcam folder (frames)</option>
      </select>
      <input aria-label="Dataset name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name" />
      <input aria-label="Folder path" value={root} onChange={(e) => setRoot(e.target.value)} placeholder="/path/to/folder" />
      {api.kind === 'electron' && (
        <button type="button" onClick={() => browse(setRoot)}>
          Browse…
        </button>
      )}
      {role === 'dashcam' && (
        <input
          aria-label="Ground truth folder"
          value={gt}
          onChange={(e) => setGt(e.target.value)}
          placeholder="Optional: held-out ground truth (Cityscapes gtFine layout)"
        />
      )}
      <button type="submit" disabled={!root.trim()}>
        Add and scan
      </button>
    </form>
  );
}

function ClassHistogram({ datasetId }: { datasetId: number }): React.JSX.Element {
  const [pixels, setPixels] = useState<number[] | null>(null);
  useEffect(() => {
    void run(() => api.call('dataset:histogram', { datasetId })).then((h) => setPixels(h?.pixels ?? null));
  }, [datasetId]);
  const total = pixels?.reduce((a, b) => a + b, 0) ?? 0;
  if (!pixels || total === 0) return <p className="muted">No labels counted in this folder.</p>;
  const data = TRAIN_CLASSES.map((c) => ({ name: c.name, share: (100 * (pixels[c.trainId] ?? 0)) / total, colour: c.colour }));
  return (
    <div className="histogram" data-testid="class-histogram">
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} margin={{ left: 8, right: 8, bottom: 40 }}>
          <XAxis dataKey="name" angle={-45} textAnchor="end" interval={0} fontSize={11} />
          <YAxis unit="%" fontSize={11} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(2)}%`} />
          <Bar dataKey="share" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.name} fill={`rgb(${d.colour.join(',')})`} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function DatasetDetail({ dataset }: { dataset: DatasetSummary }): React.JSX.Element {
  const [frames, setFrames] = useState<FrameSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [issues, setIssues] = useState<DatasetIssue[]>([]);
  useEffect(() => {
    void run(() => api.call('dataset:frames', { datasetId: dataset.id, offset, limit: PAGE })).then((page) => {
      setFrames(page?.frames ?? []);
      setTotal(page?.total ?? 0);
    });
    void run(() => api.call('dataset:issues', { datasetId: dataset.id })).then((i) => setIssues(i ?? []));
  }, [dataset.id, dataset.frameCount, dataset.pendingCount, dataset.issueCount, offset]);
  return (
    <div className="dataset-detail" data-testid={`dataset-${dataset.id}`}>
      <h3>
        {dataset.name} <small>({dataset.role})</small>
      </h3>
      <p>
        Format <strong data-testid="dataset-format">{dataset.format}</strong> · <span data-testid="frame-count">{dataset.frameCount}</span>{' '}
        frames{dataset.pendingCount > 0 && <span data-testid="pending-count"> ({dataset.pendingCount} still being checked)</span>} · {dataset.labelledCount} labelled · {dataset.issueCount} issues · <code>{dataset.root}</code>{' '}
        <button onClick={() => void run(() => api.call('dataset:rescan', { datasetId: dataset.id }))}>Rescan</button>
      </p>
      <ClassHistogram datasetId={dataset.id} />
      <div className="thumbs" data-testid="thumbnails">
        {frames.map((f) => (
          <figure key={f.id}>
            <img src={mediaUrl.frameThumb(f.id)} alt={f.relPath} loading="lazy" />
            <figcaption title={f.relPath}>{f.relPath}</figcaption>
          </figure>
        ))}
      </div>
      {total > PAGE && (
        <div className="pager">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span>
            {offset + 1}–{Math.min(total, offset + PAGE)} of {total}
          </span>
          <button disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </div>
      )}
      {dataset.issueCount > issues.length && issues.length > 0 && (
        <p data-testid="issues-shown">
          The first {issues.length} of {dataset.issueCount} issues, by path.
        </p>
      )}
      {issues.length > 0 && (
        <table className="issues" data-testid="issues">
          <thead>
            <tr>
              <th>File</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {issues.map((i) => (
              <tr key={`${i.relPath}:${i.code}`}>
                <td>
                  <code>{i.relPath}</code>
                </td>
                <td>{i.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function DataView(): React.JSX.Element {
  const datasets = useAppState((s) => s.datasets);
  const [selected, setSelected] = useState<number | null>(null);
  const current = datasets.find((d) => d.id === selected) ?? datasets[0];
  return (
    <div className="data-view">
      <aside>
        <ul className="dataset-list" data-testid="dataset-list">
          {datasets.map((d) => (
            <li key={d.id}>
              <button className={d.id === current?.id ? 'active' : ''} onClick={() => setSelected(d.id)}>
                {d.name} · {d.format} · {d.frameCount}
              </button>
            </li>
          ))}
        </ul>
        <AddDatasetForm />
      </aside>
      <section>{current ? <DatasetDetail dataset={current} /> : <p>No folders in this project yet.</p>}</section>
    </div>
  );
}
