/**
 * The metrics report as files: a long CSV (one number per row, easy to pivot or plot
 * elsewhere) and JSON (the report as the app computed it).
 */
import { TRAIN_CLASSES } from '../classes';
import { toCsv } from '../csv';
import type { DiffInterval, MetricsReport } from '../labelsContract';

const HEADER = ['source', 'model_id', 'model', 'metric', 'class', 'value', 'ci_low', 'ci_high', 'units'] as const;

export function metricsToCsv(report: MetricsReport): string {
  const name = new Map(report.models.map((m) => [m.id, m.name]));
  const rows: (string | number | null)[][] = [];
  for (const source of report.sources) {
    for (const m of source.models) {
      const base = [source.key, m.modelId, name.get(m.modelId) ?? ''];
      rows.push([...base, 'miou', '', m.miou, null, null, m.units]);
      rows.push([...base, 'pixel_accuracy', '', m.pixelAccuracy, null, null, m.units]);
      m.iou.forEach((v, k) => rows.push([...base, 'iou', TRAIN_CLASSES[k]!.name, v, null, null, m.units]));
    }
    const c = source.comparison;
    if (c) {
      const base = [source.key, `${c.candidateId}-${c.baselineId}`, `${name.get(c.candidateId) ?? c.candidateId} minus ${name.get(c.baselineId) ?? c.baselineId}`];
      const diff = (metric: string, cls: string, d: DiffInterval) => rows.push([...base, metric, cls, d.estimate, d.low, d.high, c.units]);
      diff('miou_difference', '', c.miou);
      diff('pixel_accuracy_difference', '', c.pixelAccuracy);
      c.perClass.forEach((d, k) => diff('iou_difference', TRAIN_CLASSES[k]!.name, d));
      rows.push([...base, 'verdict', '', c.verdict, null, null, c.units]);
    }
  }
  return toCsv(HEADER, rows);
}

export function metricsToJson(report: MetricsReport): string {
  return JSON.stringify({ classes: TRAIN_CLASSES.map((c) => c.name), ...report }, null, 2);
}
