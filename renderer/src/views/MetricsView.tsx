import { useCallback, useEffect, useRef, useState } from 'react';
import type { MetricsReport, MetricsSourceKey } from '../../../common/labelsContract';
import { metricsToCsv, metricsToJson } from '../../../common/metrics/exportFormat';
import { api } from '../client/backend';
import { downloadText } from '../download';
import { notifyError } from '../store/actions';
import { useAppState, type AppState } from '../store/store';
import { ClassCharts } from './metrics/ClassCharts';
import { DomainCharts } from './metrics/DomainCharts';
import { buildReportHtml, collectCharts } from './metrics/reportHtml';
import { SourceSummary } from './metrics/SourceSummary';
import './metrics/metrics.css';
import { ModelSelect } from '../components/ModelSelect';

const selectJobs = (s: AppState) => s.jobs;

/** Which source to chart first: the dashcam evidence the user built, else whatever has scores. */
function defaultSource(report: MetricsReport): MetricsSourceKey | null {
  const order: MetricsSourceKey[] = ['dashcam-spots', 'dashcam-frames', 'dashcam-gt', 'sim'];
  const withScores = order.map((k) => report.sources.find((s) => s.key === k)).filter((s) => s && s.models.length > 0);
  return withScores[0]?.key ?? null;
}

/** Is the adapted model better than source-only, by how much, on what evidence, and where. */
export function MetricsView(): React.JSX.Element {
  const project = useAppState((s) => s.project);
  const jobs = useAppState(selectJobs);
  const [report, setReport] = useState<MetricsReport | null>(null);
  const [pair, setPair] = useState<{ baselineId?: number; candidateId?: number }>({});
  const [sourceKey, setSourceKey] = useState<MetricsSourceKey | null>(null);
  const [loading, setLoading] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const next = await api.call('metrics:report', pair);
      setReport(next);
      // New or changed predictions and masks are evaluated by a job; its end reloads this view.
      if (next.pendingFrames > 0) await api.call('metrics:refresh', {});
    } catch (err) {
      notifyError(err);
    } finally {
      setLoading(false);
    }
  }, [pair]);

  useEffect(() => {
    void load();
  }, [load, project?.path]);

  const finished = Object.values(jobs)
    .filter((j) => (j.kind === 'metrics' || j.kind === 'inference') && j.status === 'done')
    .map((j) => j.id)
    .join(',');
  const firstFinished = useRef(finished);
  useEffect(() => {
    if (finished !== firstFinished.current) void load();
  }, [finished, load]);

  if (!report) return <div className="metrics-view muted">{loading ? 'Computing metrics…' : 'No metrics yet.'}</div>;
  const key = sourceKey ?? defaultSource(report);
  const source = report.sources.find((s) => s.key === key);
  const running = Object.values(jobs).some((j) => j.kind === 'metrics' && (j.status === 'running' || j.status === 'queued'));
  const segmenters = report.models;

  return (
    <div className="metrics-view" ref={root}>
      <header className="metrics-header">
        {segmenters.length > 0 && (
          <>
            <label>
              Source-only
              <ModelSelect models={segmenters} value={report.baselineId ?? null} onChange={(id) => setPair((p) => ({ ...p, baselineId: id }))} label="Baseline model" />
            </label>
            <label>
              Adapted
              <ModelSelect models={segmenters} value={report.candidateId ?? null} onChange={(id) => setPair((p) => ({ ...p, candidateId: id }))} label="Candidate model" />
            </label>
          </>
        )}
        <span className="muted status" data-testid="metrics-status">
          {running || report.pendingFrames > 0 ? `Evaluating ${report.pendingFrames} frames…` : loading ? 'Updating…' : `Up to date · ${new Date(report.computedAt).toLocaleTimeString()}`}
        </span>
        <div className="exports">
          <button onClick={() => void load()}>Refresh</button>
          <button onClick={() => downloadText('metrics.csv', metricsToCsv(report), 'text/csv')}>CSV</button>
          <button onClick={() => downloadText('metrics.json', metricsToJson(report), 'application/json')}>JSON</button>
          <button
            className="primary"
            onClick={() => root.current && downloadText('sim2real-report.html', buildReportHtml(report, project?.name ?? 'Project', collectCharts(root.current)), 'text/html')}
          >
            HTML report
          </button>
        </div>
      </header>
      {segmenters.length === 0 && <p className="muted">Import a source-only and an adapted model and run them on your folders to compare them.</p>}
      <SourceSummary report={report} selected={key} onSelect={setSourceKey} />
      {source && source.models.length > 0 && (
        <>
          <div className="section-head">
            <h3>Classes — {source.title.toLowerCase()}</h3>
          </div>
          <ClassCharts source={source} models={report.models} baselineId={report.baselineId} candidateId={report.candidateId} />
        </>
      )}
      {segmenters.length > 0 && <DomainCharts report={report} />}
    </div>
  );
}
