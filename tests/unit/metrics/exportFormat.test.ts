import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../common/csv';
import type { MetricsReport } from '../../../common/labelsContract';
import { metricsToCsv, metricsToJson } from '../../../common/metrics/exportFormat';

const iou = Array.from({ length: 19 }, (_, k) => (k < 2 ? 0.5 + k / 10 : null));
const report: MetricsReport = {
  models: [
    { id: 1, name: 'source, only', role: 'source_only' },
    { id: 2, name: 'adapted', role: 'adapted' },
  ],
  baselineId: 1,
  candidateId: 2,
  sources: [
    {
      key: 'dashcam-spots',
      title: 'Dashcam spot checks',
      unit: 'spots',
      labelled: 10,
      pending: 0,
      unreadable: 0,
      models: [1, 2].map((modelId) => ({ modelId, frames: 3, units: 10, iou, miou: 0.55, pixelAccuracy: 0.8, confusion: [] })),
      comparison: {
        baselineId: 1,
        candidateId: 2,
        frames: 3,
        units: 10,
        resamples: 1000,
        level: 0.95,
        miou: { estimate: 0.05, low: -0.01, high: 0.1 },
        pixelAccuracy: { estimate: 0.02, low: 0, high: 0.04 },
        perClass: iou.map(() => ({ estimate: null, low: null, high: null })),
        verdict: 'unknown',
        moreUnits: 30,
        text: 'Not yet known',
      },
    },
  ],
  classDistribution: [],
  confidence: [],
  entropy: [],
  timelines: [],
  pendingFrames: 0,
  seed: 1,
  resamples: 1000,
  computedAt: '2026-01-01T00:00:00Z',
};

describe('metrics export', () => {
  it('writes one number per CSV row, quoting names', () => {
    const rows = parseCsv(metricsToCsv(report));
    expect(rows[0]).toEqual(['source', 'model_id', 'model', 'metric', 'class', 'value', 'ci_low', 'ci_high', 'units']);
    expect(rows).toContainEqual(['dashcam-spots', '1', 'source, only', 'miou', '', '0.55', '', '', '10']);
    expect(rows).toContainEqual(['dashcam-spots', '2', 'adapted', 'iou', 'sidewalk', '0.6', '', '', '10']);
    expect(rows).toContainEqual(['dashcam-spots', '2-1', 'adapted minus source, only', 'miou_difference', '', '0.05', '-0.01', '0.1', '10']);
    expect(rows).toContainEqual(['dashcam-spots', '2-1', 'adapted minus source, only', 'verdict', '', 'unknown', '', '', '10']);
    // 2 models × (2 + 19) rows, 2 + 19 differences, 1 verdict, 1 header
    expect(rows).toHaveLength(2 * 21 + 21 + 1 + 1);
  });

  it('writes JSON with the class names', () => {
    const parsed = JSON.parse(metricsToJson(report)) as { classes: string[]; sources: unknown[] };
    expect(parsed.classes[13]).toBe('car');
    expect(parsed.sources).toHaveLength(1);
  });
});
