import { describe, expect, it } from 'vitest';
import type { MetricsReport } from '../../../common/labelsContract';
import { buildReportHtml } from '../../../renderer/src/views/metrics/reportHtml';

const report: MetricsReport = {
  models: [
    { id: 1, name: '<b>src</b>', role: 'source_only' },
    { id: 2, name: 'ada', role: 'adapted' },
  ],
  baselineId: 1,
  candidateId: 2,
  sources: [
    {
      key: 'sim',
      title: 'Simulator frames with ground truth',
      unit: 'frames',
      labelled: 3,
      pending: 0,
      unreadable: 0,
      models: [{ modelId: 1, frames: 3, units: 3, iou: [], miou: 0.5, pixelAccuracy: 0.9, confusion: [] }],
      comparison: {
        baselineId: 1,
        candidateId: 2,
        frames: 3,
        units: 3,
        resamples: 1000,
        level: 0.95,
        miou: { estimate: 0.04, low: 0.01, high: 0.07 },
        pixelAccuracy: { estimate: 0, low: 0, high: 0 },
        perClass: Array.from({ length: 19 }, (_, k) => (k === 13 ? { estimate: 0.1, low: 0.02, high: 0.2 } : { estimate: null, low: null, high: null })),
        verdict: 'better',
        moreUnits: 0,
        text: 'Better: +4.0 pts',
      },
    },
  ],
  classDistribution: [],
  confidence: [],
  entropy: [],
  timelines: [],
  pendingFrames: 0,
  seed: 7,
  resamples: 1000,
  computedAt: '2026-01-01T00:00:00Z',
};

describe('HTML report', () => {
  it('is one self-contained page with the verdicts, the class table and the charts, escaped', () => {
    const html = buildReportHtml(report, 'Town & "Country"', [{ title: 'IoU', svg: '<svg><rect/></svg>' }]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('Town &#38; &#34;Country&#34;');
    expect(html).toContain('&#60;b&#62;src&#60;/b&#62;');
    expect(html).not.toContain('<b>src</b>');
    expect(html).toContain('class="verdict better"');
    expect(html).toContain('+10.0 <span class="muted">[+2.0, +20.0]</span>');
    expect(html).toContain('<svg><rect/></svg>');
    expect(html).toContain('seed 7');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
