import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ErrorBar, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { TRAIN_CLASSES } from '../../../../common/classes';
import type { MetricsModel, MetricsSource } from '../../../../common/labelsContract';
import { AXIS, BASELINE_COLOUR, CANDIDATE_COLOUR, GRID, modelName, pct, pts, TOOLTIP } from './format';

interface Props {
  readonly source: MetricsSource;
  readonly models: readonly MetricsModel[];
  readonly baselineId: number | null;
  readonly candidateId: number | null;
}

/** Per-class IoU of both models, their difference with its interval, and a confusion matrix. */
export function ClassCharts({ source, models, baselineId, candidateId }: Props): React.JSX.Element {
  const base = source.models.find((m) => m.modelId === baselineId);
  const cand = source.models.find((m) => m.modelId === candidateId);
  const iouData = TRAIN_CLASSES.map((c) => ({
    name: c.name,
    baseline: base?.iou[c.trainId] ?? null,
    candidate: cand?.iou[c.trainId] ?? null,
  })).filter((d) => d.baseline !== null || d.candidate !== null);
  const diffData = TRAIN_CLASSES.map((c) => {
    const d = source.comparison?.perClass[c.trainId];
    return {
      name: c.name,
      diff: d?.estimate ?? null,
      ci: d && d.estimate !== null && d.low !== null && d.high !== null ? [d.estimate - d.low, d.high - d.estimate] : [0, 0],
      low: d?.low ?? null,
      high: d?.high ?? null,
    };
  }).filter((d) => d.diff !== null);
  // Symmetric about zero so "better" and "worse" bars read at the same scale.
  const reach = Math.max(0.05, ...diffData.flatMap((d) => [Math.abs(d.diff ?? 0), Math.abs(d.low ?? 0), Math.abs(d.high ?? 0)]));
  const diffDomain = [-Math.ceil(reach * 20) / 20, Math.ceil(reach * 20) / 20];
  return (
    <div className="chart-grid">
      <figure className="chart-card" data-chart="iou">
        <figcaption>Per-class IoU — {source.title.toLowerCase()}</figcaption>
        {iouData.length === 0 ? (
          <p className="muted">No class has a score here yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={iouData} margin={{ left: 0, right: 8, bottom: 48 }}>
              <CartesianGrid stroke={GRID} vertical={false} />
              <XAxis dataKey="name" angle={-45} textAnchor="end" interval={0} tick={AXIS} stroke={AXIS.stroke} />
              <YAxis domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}`} tick={AXIS} stroke={AXIS.stroke} unit="%" />
              <Tooltip {...TOOLTIP} formatter={(v) => pct(Number(v))} />
              <Legend verticalAlign="top" height={24} wrapperStyle={{ fontSize: 12 }} />
              <Bar dataKey="baseline" name={modelName(models, baselineId)} fill={BASELINE_COLOUR} isAnimationActive={false} />
              <Bar dataKey="candidate" name={modelName(models, candidateId)} fill={CANDIDATE_COLOUR} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </figure>
      <figure className="chart-card" data-chart="difference">
        <figcaption>
          {modelName(models, candidateId)} minus {modelName(models, baselineId)}: IoU points, 95% interval
        </figcaption>
        {diffData.length === 0 ? (
          <p className="muted">No paired scores yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={diffData} margin={{ left: 0, right: 8, bottom: 48 }}>
              <CartesianGrid stroke={GRID} vertical={false} />
              <XAxis dataKey="name" angle={-45} textAnchor="end" interval={0} tick={AXIS} stroke={AXIS.stroke} />
              <YAxis domain={diffDomain} allowDataOverflow tickFormatter={(v: number) => `${Math.round(v * 100)}`} tick={AXIS} stroke={AXIS.stroke} />
              <ReferenceLine y={0} stroke="#c5cad6" />
              <Tooltip
                {...TOOLTIP}
                formatter={(_v, _n, item) => {
                  const p = item.payload as (typeof diffData)[number];
                  return [`${pts(p.diff)} pts (${pts(p.low)} to ${pts(p.high)})`, 'difference'];
                }}
              />
              <Bar dataKey="diff" isAnimationActive={false}>
                {diffData.map((d) => (
                  <Cell key={d.name} fill={d.low !== null && d.low > 0 ? '#66bb6a' : d.high !== null && d.high < 0 ? '#ef5350' : '#78909c'} />
                ))}
                <ErrorBar dataKey="ci" width={4} stroke="#e3e6ec" strokeWidth={1.2} />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        )}
      </figure>
      <ConfusionMatrix source={source} models={models} ids={[baselineId, candidateId]} />
    </div>
  );
}

function ConfusionMatrix({ source, models, ids }: { source: MetricsSource; models: readonly MetricsModel[]; ids: (number | null)[] }): React.JSX.Element {
  const available = source.models.filter((m) => ids.includes(m.modelId));
  const [chosen, setChosen] = useState<number | null>(null);
  const scores = available.find((m) => m.modelId === chosen) ?? available[available.length - 1];
  if (!scores) return <></>;
  // Rows that hold ground truth, columns that hold either; row-normalised so rare classes read.
  const rows = scores.confusion.map((row, g) => ({ g, row, total: row.reduce((a, b) => a + b, 0) })).filter((r) => r.total > 0);
  const cols = TRAIN_CLASSES.filter((c) => rows.some((r) => r.row[c.trainId]! > 0) || rows.some((r) => r.g === c.trainId));
  return (
    <figure className="chart-card" data-chart="confusion">
      <figcaption>
        Confusion matrix (rows: labels, columns: predictions, share of each row) —{' '}
        <select value={scores.modelId} onChange={(e) => setChosen(Number(e.target.value))} aria-label="Confusion matrix model">
          {available.map((m) => (
            <option key={m.modelId} value={m.modelId}>
              {modelName(models, m.modelId)}
            </option>
          ))}
        </select>
      </figcaption>
      <div className="confusion-scroll">
        <table className="confusion">
          <thead>
            <tr>
              <th />
              {cols.map((c) => (
                <th key={c.trainId} className="col-head">
                  <span>{c.name}</span>
                </th>
              ))}
              <th className="col-head">
                <span>no class</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.g}>
                <th>{TRAIN_CLASSES[r.g]!.name}</th>
                {[...cols.map((c) => c.trainId), TRAIN_CLASSES.length].map((p) => {
                  const share = r.row[p]! / r.total;
                  const hue = p === r.g ? '102,187,106' : '239,83,80';
                  return (
                    <td key={p} style={{ background: share > 0 ? `rgba(${hue},${0.15 + 0.85 * share})` : undefined }} title={`${TRAIN_CLASSES[r.g]!.name} → ${TRAIN_CLASSES[p]?.name ?? 'no class'}: ${pct(share)} (${Math.round(r.row[p]!)})`}>
                      {share >= 0.005 ? Math.round(share * 100) : ''}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
