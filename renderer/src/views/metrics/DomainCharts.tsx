import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { TRAIN_CLASSES } from '../../../../common/classes';
import type { MetricsReport, MetricsSeries } from '../../../../common/labelsContract';
import { selectFrame } from '../../store/actions';
import { AXIS, DASHCAM_COLOUR, GRID, modelName, pct, SIM_COLOUR, TOOLTIP } from './format';

const share = (values: readonly number[]) => {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (total > 0 ? v / total : 0));
};

function pick(series: readonly MetricsSeries[], modelId: number | null, domain: 'sim' | 'dashcam'): MetricsSeries | undefined {
  return series.find((s) => s.modelId === modelId && s.domain === domain);
}

/** How the chosen model behaves on each domain, and where along a drive the two models part ways. */
export function DomainCharts({ report }: { report: MetricsReport }): React.JSX.Element {
  const [modelId, setModelId] = useState<number | null>(null);
  const model = modelId ?? report.candidateId ?? report.models[0]?.id ?? null;
  const sim = pick(report.classDistribution, model, 'sim');
  const dash = pick(report.classDistribution, model, 'dashcam');
  const simShare = share(sim?.values ?? []);
  const dashShare = share(dash?.values ?? []);
  const distribution = TRAIN_CLASSES.map((c) => ({ name: c.name, sim: simShare[c.trainId] ?? 0, dashcam: dashShare[c.trainId] ?? 0 })).filter(
    (d) => d.sim > 0 || d.dashcam > 0,
  );
  return (
    <>
      <div className="section-head">
        <h3>Domains</h3>
        <select value={model ?? ''} onChange={(e) => setModelId(Number(e.target.value))} aria-label="Model for domain charts">
          {report.models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      <div className="chart-grid">
        <figure className="chart-card" data-chart="distribution">
          <figcaption>Predicted classes on sim vs dashcam — {modelName(report.models, model)}</figcaption>
          {distribution.length === 0 ? (
            <p className="muted">No class histograms stored with this model's predictions.</p>
          ) : (
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={distribution} margin={{ left: 0, right: 8, bottom: 48 }}>
                <CartesianGrid stroke={GRID} vertical={false} />
                <XAxis dataKey="name" angle={-45} textAnchor="end" interval={0} tick={AXIS} stroke={AXIS.stroke} />
                <YAxis tickFormatter={(v: number) => `${Math.round(v * 100)}`} tick={AXIS} stroke={AXIS.stroke} unit="%" />
                <Tooltip {...TOOLTIP} formatter={(v) => pct(Number(v))} />
                <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 12 }} />
                <Bar dataKey="sim" name="sim" fill={SIM_COLOUR} isAnimationActive={false} />
                <Bar dataKey="dashcam" name="dashcam" fill={DASHCAM_COLOUR} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </figure>
        <Histogram title="Confidence" series={report.confidence} modelId={model} chart="confidence" />
        <Histogram title="Entropy" series={report.entropy} modelId={model} chart="entropy" />
        <Timeline report={report} />
      </div>
    </>
  );
}

function Histogram({ title, series, modelId, chart }: { title: string; series: readonly MetricsSeries[]; modelId: number | null; chart: string }): React.JSX.Element {
  const sim = pick(series, modelId, 'sim');
  const dash = pick(series, modelId, 'dashcam');
  const bins = Math.max(sim?.values.length ?? 0, dash?.values.length ?? 0);
  const simShare = share(sim?.values ?? []);
  const dashShare = share(dash?.values ?? []);
  const data = Array.from({ length: bins }, (_, i) => ({ bin: `${Math.round((i / bins) * 100)}`, sim: simShare[i] ?? 0, dashcam: dashShare[i] ?? 0 }));
  const kind = (sim ?? dash)?.kind === 'frame-means' ? 'per-frame means' : 'pixels';
  return (
    <figure className="chart-card" data-chart={chart}>
      <figcaption>
        {title} histogram ({kind})
      </figcaption>
      {bins === 0 ? (
        <p className="muted">No {title.toLowerCase()} maps or means for this model yet.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <BarChart data={data} margin={{ left: 0, right: 8, bottom: 16 }} barCategoryGap={1}>
            <CartesianGrid stroke={GRID} vertical={false} />
            <XAxis dataKey="bin" tick={AXIS} stroke={AXIS.stroke} unit="%" />
            <YAxis tickFormatter={(v: number) => `${Math.round(v * 100)}`} tick={AXIS} stroke={AXIS.stroke} unit="%" />
            <Tooltip {...TOOLTIP} formatter={(v) => pct(Number(v))} labelFormatter={(l) => `${title} from ${l}%`} />
            <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="sim" fill={SIM_COLOUR} isAnimationActive={false} />
            <Bar dataKey="dashcam" fill={DASHCAM_COLOUR} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

function Timeline({ report }: { report: MetricsReport }): React.JSX.Element {
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const timeline = report.timelines.find((t) => t.datasetId === datasetId) ?? report.timelines[0];
  return (
    <figure className="chart-card wide" data-chart="timeline">
      <figcaption>
        Disagreement along the drive: share of pixels where {modelName(report.models, report.baselineId)} and{' '}
        {modelName(report.models, report.candidateId)} differ. Click a frame to open it in Compare.
        {report.timelines.length > 1 && (
          <select value={timeline?.datasetId ?? ''} onChange={(e) => setDatasetId(Number(e.target.value))} aria-label="Sequence">
            {report.timelines.map((t) => (
              <option key={t.datasetId} value={t.datasetId}>
                {t.name}
              </option>
            ))}
          </select>
        )}
      </figcaption>
      {!timeline ? (
        <p className="muted">Needs predictions of both models on a dashcam folder.</p>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart
            data={timeline.points}
            margin={{ left: 0, right: 12, bottom: 8 }}
            onClick={(state) => {
              const point = timeline.points[Number(state?.activeTooltipIndex)];
              if (point) selectFrame(point.frameId, timeline.datasetId);
            }}
            style={{ cursor: 'pointer' }}
          >
            <CartesianGrid stroke={GRID} vertical={false} />
            <XAxis dataKey="index" tick={AXIS} stroke={AXIS.stroke} />
            <YAxis tickFormatter={(v: number) => `${Math.round(v * 100)}`} tick={AXIS} stroke={AXIS.stroke} unit="%" />
            <Tooltip
              {...TOOLTIP}
              labelFormatter={(_l, payload) => (payload?.[0]?.payload as { relPath?: string } | undefined)?.relPath ?? ''}
              formatter={(v, _n, item) => [`${pct(Number(v))}${(item.payload as { labelled: boolean }).labelled ? ' · labelled' : ''}`, 'disagreement']}
            />
            <Line type="monotone" dataKey="disagreement" stroke={DASHCAM_COLOUR} dot={timeline.points.length <= 80} strokeWidth={1.5} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}
