import { selectRunningJobs, useAppState } from '../store/store';
import { api } from '../client/backend';
import { notifyError } from '../store/actions';

function formatEta(seconds: number | null): string {
  if (seconds === null) return '';
  return seconds < 90 ? `${Math.round(seconds)} s left` : `${Math.round(seconds / 60)} min left`;
}

export function StatusBar(): React.JSX.Element {
  const providers = useAppState((s) => s.providers);
  const jobs = useAppState(selectRunningJobs);
  const transport = useAppState((s) => s.info?.transport);
  const provider = providers?.active ?? 'no model loaded';
  const why = providers?.attempts
    .filter((a) => !a.ok)
    .map((a) => `${a.provider}: ${a.reason}`)
    .join('\n');
  return (
    <footer className="statusbar">
      <span data-testid="provider" title={why || undefined}>
        Execution provider: {provider}
        {providers?.active && providers.active !== 'cpu' && providers.activePrecision ? `, ${providers.activePrecision}` : ''}
        {providers?.pinned ? ` (pinned)` : ''}
      </span>
      <span className="jobs" data-testid="jobs">
        {jobs.length === 0
          ? 'No running jobs'
          : jobs.map((j) => (
              <span key={j.id} className="job">
                {j.title}
                {j.stage ? ` (${j.stage})` : ''}: {j.status === 'queued' ? 'queued' : j.total > 0 ? `${j.done}/${j.total}` : j.done}{' '}
                {j.rate ? `${j.rate.toFixed(1)}/s ${formatEta(j.etaSeconds)}` : ''}
                <progress max={Math.max(1, j.total)} value={j.done} />
                <button onClick={() => api.call('jobs:cancel', { jobId: j.id }).catch(notifyError)}>Cancel</button>
              </span>
            ))}
      </span>
      <span>{transport === 'web' ? 'Browser mode' : transport === 'electron' ? 'Desktop' : ''}</span>
    </footer>
  );
}
