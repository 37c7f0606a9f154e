import type { InferenceRunSummary } from '../../../../common/inferenceContract';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** Frames that already had the run's outputs (from an earlier run) are skipped, so a resumed run writes fewer. */
const framesCell = (r: InferenceRunSummary) => `${r.framesWritten} of ${r.framesInFolder} in the folder`;

/** The project's latest runs, newest first: folder, models, frames, speed and where they ran. */
export function RunList({ runs, onResume }: { runs: readonly InferenceRunSummary[]; onResume: (run: InferenceRunSummary) => void }): React.JSX.Element {
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <table className="models" data-testid="runs">
      <thead>
        <tr>
          <th>Run</th>
          <th>Folder</th>
          <th>Models</th>
          <th>Frames written</th>
          <th>Speed</th>
          <th>Provider</th>
          <th>Status</th>
          <th>Started</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} data-run={r.id}>
            <td>{r.id}</td>
            <td>{r.datasetName}</td>
            <td>{r.modelNames.join(', ')}</td>
            <td data-col="frames" title="frames that already had these models’ outputs are skipped, not written again">
              {framesCell(r)}
            </td>
            <td data-col="speed" title="between frames written, without start-up or the time a run stood stopped">{r.framesPerSecond === null ? '—' : `${r.framesPerSecond.toFixed(1)} frames/s`}</td>
            <td>{r.provider ?? '—'}</td>
            <td data-col="status" title={r.error ?? undefined}>
              {r.status}
              {r.error ? `: ${r.error}` : ''}
            </td>
            <td title={r.finishedAt ? `finished ${when(r.finishedAt)}` : undefined}>{when(r.createdAt)}</td>
            <td>
              {(r.status === 'cancelled' || r.status === 'failed') && (
                <button title="continue this run; frames it already wrote are skipped" onClick={() => onResume(r)}>
                  Resume
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
