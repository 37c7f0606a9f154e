import { TRAIN_CLASSES } from '../../../../common/classes';
import type { MetricsReport } from '../../../../common/labelsContract';
import { modelName, pct, pts } from './format';

export interface ChartImage {
  readonly title: string;
  readonly svg: string;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Copies the charts as drawn (SVG) so the report looks like the view, with no script in it. */
export function collectCharts(root: HTMLElement): ChartImage[] {
  return Array.from(root.querySelectorAll<HTMLElement>('figure.chart-card')).flatMap((figure) => {
    const svg = figure.querySelector('svg.recharts-surface');
    const table = figure.querySelector('table.confusion');
    const title = figure.querySelector('figcaption')?.textContent?.trim() ?? '';
    if (svg) {
      const copy = svg.cloneNode(true) as SVGElement;
      copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
      return [{ title, svg: copy.outerHTML }];
    }
    if (table) return [{ title, svg: table.outerHTML }];
    return [];
  });
}

/** A self-contained one-page report: verdicts, per-class table and the charts. */
export function buildReportHtml(report: MetricsReport, projectName: string, charts: readonly ChartImage[]): string {
  const name = (id: number | null) => escape(modelName(report.models, id));
  const cards = report.sources
    .map((s) => {
      const c = s.comparison;
      const scores = s.models.map((m) => `<td>${escape(modelName(report.models, m.modelId))}</td><td>${pct(m.miou)}</td><td>${pct(m.pixelAccuracy)}</td>`);
      return `<section class="card"><h3>${escape(s.title)}</h3><p class="muted">${s.labelled} ${s.unit === 'spots' ? 'labelled spots' : 'labelled frames'}</p>
        ${scores.length ? `<table><tr><th>Model</th><th>mIoU</th><th>Pixel acc.</th></tr>${scores.map((r) => `<tr>${r}</tr>`).join('')}</table>` : '<p class="muted">No scores yet.</p>'}
        ${c ? `<p><span class="verdict ${c.verdict}">${c.verdict === 'unknown' ? 'Not yet known' : c.verdict === 'better' ? 'Better' : 'Worse'}</span> ${escape(c.text)}</p>` : ''}</section>`;
    })
    .join('');
  const scored = report.sources.filter((s) => s.comparison);
  const classRows = TRAIN_CLASSES.map((cls) => {
    const cells = scored.map((s) => {
      const d = s.comparison!.perClass[cls.trainId]!;
      return `<td>${d.estimate === null ? '–' : `${pts(d.estimate)}${d.low !== null ? ` <span class="muted">[${pts(d.low)}, ${pts(d.high)}]</span>` : ''}`}</td>`;
    });
    return `<tr><th><span class="sw" style="background:rgb(${cls.colour.join(',')})"></span>${escape(cls.name)}</th>${cells.join('')}</tr>`;
  }).join('');
  const figures = charts.map((c) => `<figure><figcaption>${escape(c.title)}</figcaption>${c.svg}</figure>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(projectName)}: adapted vs source-only</title>
<style>
body{margin:0;padding:24px 32px;background:#15171c;color:#e3e6ec;font:14px system-ui,sans-serif}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:0 0 4px}
.muted{color:#8a90a0}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{background:#1e2129;border:1px solid #2c303a;border-radius:6px;padding:12px}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #2c303a}
.verdict{font-weight:700;padding:1px 6px;border-radius:3px;margin-right:4px}.better{background:#2e7d32}.worse{background:#c62828}.unknown{background:#546e7a}
.sw{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure{margin:0;background:#1e2129;border:1px solid #2c303a;border-radius:6px;padding:12px;overflow:auto}
figcaption{font-size:13px;margin-bottom:8px}svg{max-width:100%;height:auto}
table.confusion td{width:22px;text-align:center;border:1px solid #1e2129;padding:1px}
</style></head><body>
<h1>${escape(projectName)}: is the adapted model better, and where?</h1>
<p class="muted">${name(report.candidateId)} compared with ${name(report.baselineId)} · 95% intervals from a paired bootstrap over frames (${report.resamples} resamples, seed ${report.seed}) · mIoU as the Cityscapes evaluation computes it · ${escape(new Date(report.computedAt).toLocaleString())}</p>
<h2>Verdicts</h2><div class="cards">${cards}</div>
${scored.length ? `<h2>IoU difference per class (points)</h2><table><tr><th>Class</th>${scored.map((s) => `<th>${escape(s.title)}</th>`).join('')}</tr>${classRows}</table>` : ''}
<h2>Charts</h2><div class="figs">${figures}</div>
</body></html>`;
}
