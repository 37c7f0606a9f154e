import type { MetricsReport, MetricsSource } from '../../../../common/labelsContract';
import { modelName, pct, pts } from './format';

const VERDICT_LABEL = { better: 'Better', worse: 'Worse', unknown: 'Not yet known' } as const;

/** One card per evidence source: both models' mIoU, the paired difference and the verdict. */
export function SourceSummary({ report, selected, onSelect }: { report: MetricsReport; selected: string | null; onSelect: (key: MetricsSource['key']) => void }): React.JSX.Element {
  return (
    <div className="source-cards">
      {report.sources.map((s) => {
        const c = s.comparison;
        const empty = s.labelled === 0 && s.models.length === 0;
        return (
          <button
            key={s.key}
            className={`source-card${selected === s.key ? ' selected' : ''}${empty ? ' empty' : ''}`}
            onClick={() => onSelect(s.key)}
            data-testid={`source-${s.key}`}
            aria-pressed={selected === s.key}
          >
            <span className="source-title">{s.title}</span>
            <span className="source-count">
              {s.labelled} labelled {s.unit === 'spots' ? 'spot' : 'frame'}
              {s.labelled === 1 ? '' : 's'}
              {s.pending > 0 && ` · ${s.pending} to evaluate`}
              {s.unreadable > 0 && ` · ${s.unreadable} unreadable`}
            </span>
            {s.models.length === 0 ? (
              <span className="muted">{s.labelled === 0 ? 'Nothing labelled yet.' : 'No predictions on these frames yet.'}</span>
            ) : (
              <span className="source-scores">
                {s.models
                  .filter((m) => m.modelId === report.baselineId || m.modelId === report.candidateId || s.models.length <= 2)
                  .map((m) => (
                    <span key={m.modelId} data-testid={`miou-${s.key}-${m.modelId}`}>
                      <small>{modelName(report.models, m.modelId)}</small>
                      <strong>{pct(m.miou)}</strong>
                      <small className="muted">mIoU · acc {pct(m.pixelAccuracy)}</small>
                    </span>
                  ))}
              </span>
            )}
            {c && (
              <>
                <span className="source-diff">
                  Δ mIoU <strong>{pts(c.miou.estimate)}</strong> pts
                  {c.miou.low !== null && (
                    <span className="muted">
                      {' '}
                      [{pts(c.miou.low)}, {pts(c.miou.high)}]
                    </span>
                  )}
                  <span className={`verdict ${c.verdict}`} data-testid={`verdict-${s.key}`}>
                    {VERDICT_LABEL[c.verdict]}
                  </span>
                </span>
                <span className="source-text">{c.text}</span>
              </>
            )}
          </button>
        );
      })}
    </div>
  );
}
