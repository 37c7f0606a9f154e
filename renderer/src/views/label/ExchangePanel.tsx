import { useState } from 'react';
import { api } from '../../client/backend';
import { downloadText } from '../../download';
import { run } from '../../store/actions';
import { store } from '../../store/store';

const info = (text: string) => store.dispatch({ type: 'notice', notice: { level: 'info', text } });

/** Labels out and back in: spots as CSV/JSON files, masks as a Cityscapes gtFine folder. */
export function ExchangePanel({ datasetId, onImported }: { datasetId: number; onImported: () => void }): React.JSX.Element {
  const [folder, setFolder] = useState('');
  const exportSpots = (format: 'csv' | 'json') =>
    void run(async () => {
      const { text, fileName } = await api.call('labels:exportSpots', { format });
      downloadText(fileName, text, format === 'csv' ? 'text/csv' : 'application/json');
    });
  const importSpots = (file: File) =>
    void run(async () => {
      const format = file.name.toLowerCase().endsWith('.json') ? 'json' : 'csv';
      const r = await api.call('labels:importSpots', { format, text: await file.text() });
      info(`Imported spots: ${r.added} new, ${r.updated} updated${r.unmatched ? `, ${r.unmatched} matched no frame` : ''}.`);
      onImported();
    });
  return (
    <details className="exchange">
      <summary>Export and import</summary>
      <div className="row">
        <span>Spots</span>
        <button onClick={() => exportSpots('csv')}>Export CSV</button>
        <button onClick={() => exportSpots('json')}>Export JSON</button>
        <label className="file-button">
          Import…
          <input type="file" accept=".csv,.json" onChange={(e) => e.target.files?.[0] && importSpots(e.target.files[0])} />
        </label>
      </div>
      <div className="row">
        <span>Masks</span>
        <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="Folder for gtFine/…_gtFine_labelIds.png" aria-label="Mask folder" />
        {api.kind === 'electron' && (
          <button onClick={() => void api.pickFolder().then((p) => p && setFolder(p))}>Browse…</button>
        )}
        <button
          disabled={!folder.trim()}
          onClick={() =>
            void run(async () => {
              const r = await api.call('labels:exportMasks', { folder: folder.trim() });
              info(`Wrote ${r.written} label masks to ${folder.trim()} (Cityscapes gtFine layout).`);
            })
          }
        >
          Export
        </button>
        <button
          disabled={!folder.trim()}
          onClick={() =>
            void run(async () => {
              const r = await api.call('labels:importMasks', { folder: folder.trim(), datasetId });
              info(`Imported ${r.imported} masks.${r.unmatched.length ? ` Not matched: ${r.unmatched.slice(0, 5).join(', ')}${r.unmatched.length > 5 ? '…' : ''}` : ''}`);
              onImported();
            })
          }
        >
          Import
        </button>
      </div>
    </details>
  );
}
