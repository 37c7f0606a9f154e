import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confusionOf, scoresOf, sumConfusions, toRows } from '../../../common/metrics';
import { detachedJobContext } from '../../../main/jobs/jobContext';
import { LabelService } from '../../../main/labels/labelService';
import { MetricsService } from '../../../main/metrics/metricsService';
import { makeProject, type TestProject } from '../labels/project';

const W = 6;
const H = 4;
let project: TestProject;
let labels: LabelService;
let metrics: MetricsService;
const truth = new Map<number, Uint8Array>();

/** A frame's truth, and two predictions: the adapted one is right more often. */
function masks(seed: number) {
  const gt = Uint8Array.from({ length: W * H }, (_, i) => ((i * 7 + seed) % 5 === 0 ? 255 : (i + seed) % 3));
  const source = gt.map((v, i) => (v === 255 ? 1 : i % 2 === 0 ? v : (v + 1) % 3));
  const adapted = gt.map((v, i) => (v === 255 ? 0 : i % 5 === 0 ? (v + 1) % 3 : v));
  return { gt, source, adapted };
}

let sim: number;
let dashcam: number;
let src: number;
let ada: number;
const simFrames: number[] = [];
const dashFrames: number[] = [];

beforeEach(async () => {
  project = makeProject();
  labels = new LabelService(project.db, project.cacheDir);
  metrics = new MetricsService(project.db, project.cacheDir, { labelTrainIds: async (id) => ({ data: truth.get(id)!, width: W, height: H }) }, labels.store);
  sim = project.addDataset('sim', 'sim');
  dashcam = project.addDataset('dash', 'dashcam');
  src = project.addModel('source-only', 'source_only');
  ada = project.addModel('adapted', 'adapted');
  project.addModel('disc', 'discriminator');
  simFrames.length = 0;
  dashFrames.length = 0;
  for (let i = 0; i < 5; i++) {
    const f = project.addFrame(sim, `s${i}.png`, W, H, true);
    const m = masks(i);
    truth.set(f.id, m.gt);
    await project.addPrediction(f.id, src, m.source, W, H, { histogram: [1, 2, 3, ...new Array<number>(16).fill(0)] });
    await project.addPrediction(f.id, ada, m.adapted, W, H);
    simFrames.push(f.id);
  }
  for (let i = 0; i < 3; i++) {
    const f = project.addFrame(dashcam, `d${i}.png`, W, H);
    const m = masks(10 + i);
    truth.set(f.id, m.gt);
    await project.addPrediction(f.id, src, m.source, W, H);
    await project.addPrediction(f.id, ada, m.adapted, W, H);
    dashFrames.push(f.id);
  }
});
afterEach(() => {
  metrics.dispose();
  labels.dispose();
  project.cleanup();
});

describe('metrics report', () => {
  it('evaluates frames in a job and scores them exactly as a direct confusion matrix would', async () => {
    const before = await metrics.report();
    expect(before.sources.find((s) => s.key === 'sim')!.pending).toBe(5);
    expect(before.pendingFrames).toBe(8); // 5 sim frames + 3 dashcam frames (disagreement)
    await metrics.evaluate(detachedJobContext());
    expect(metrics.pendingFrames()).toBe(0);

    const report = await metrics.report({ seed: 3, resamples: 200 });
    expect(report.baselineId).toBe(src);
    expect(report.candidateId).toBe(ada);
    expect(report.models.map((m) => m.role)).toEqual(['source_only', 'adapted']);
    const simSource = report.sources.find((s) => s.key === 'sim')!;
    expect(simSource).toMatchObject({ labelled: 5, pending: 0, unreadable: 0 });
    for (const [modelId, key] of [[src, 'source'], [ada, 'adapted']] as const) {
      const direct = sumConfusions(simFrames.map((id, i) => confusionOf(truth.get(id)!, masks(i)[key])));
      const scored = simSource.models.find((m) => m.modelId === modelId)!;
      expect(scored.confusion).toEqual(toRows(direct));
      expect(scored.miou).toBeCloseTo(scoresOf(direct).miou!, 12);
      expect(scored.frames).toBe(5);
    }
    const cmp = simSource.comparison!;
    expect(cmp.miou.estimate).toBeCloseTo(simSource.models[1]!.miou! - simSource.models[0]!.miou!, 12);
    expect(cmp.units).toBe(5);
    expect(['better', 'worse', 'unknown']).toContain(cmp.verdict);
    expect(cmp.text.length).toBeGreaterThan(10);
    // Same seed, same interval.
    expect((await metrics.report({ seed: 3, resamples: 200 })).sources[0]!.comparison).toEqual(cmp);

    const timeline = report.timelines[0]!;
    expect(timeline.points).toHaveLength(3);
    const d0 = masks(10);
    const differ = d0.source.filter((v, i) => v !== d0.adapted[i]).length / (W * H);
    expect(timeline.points[0]!.disagreement).toBeCloseTo(differ, 12);
    expect(report.classDistribution.find((s) => s.modelId === src && s.domain === 'sim')!.values.slice(0, 3)).toEqual([5, 10, 15]);
  });

  it('scores answered spots at once, weighted, and leaves hardest and unanswered spots out', async () => {
    await labels.sample({ datasetId: dashcam, count: 10, seed: 1, sampler: 'uniform' });
    const spots = labels.spots('estimate', dashcam);
    let empty = (await metrics.report()).sources.find((s) => s.key === 'dashcam-spots')!;
    expect(empty.labelled).toBe(0);
    expect(empty.models).toEqual([]);
    const answered = spots.slice(0, 6);
    for (const s of answered) labels.answer(s.id, truth.get(s.frameId)![s.y * W + s.x] === 255 ? 0 : truth.get(s.frameId)![s.y * W + s.x]!, false);
    labels.answer(spots[6]!.id, null, true);
    const source = (await metrics.report()).sources.find((s) => s.key === 'dashcam-spots')!;
    expect(source.labelled).toBe(6);
    const adapted = source.models.find((m) => m.modelId === ada)!;
    expect(adapted.units).toBe(6);
    const expectedCorrect = answered.filter((s) => {
      const i = s.y * W + s.x;
      const gt = truth.get(s.frameId)![i] === 255 ? 0 : truth.get(s.frameId)![i]!;
      const dashIndex = dashFrames.indexOf(s.frameId);
      return masks(10 + dashIndex).adapted[i] === gt;
    }).length;
    expect(adapted.pixelAccuracy).toBeCloseTo(expectedCorrect / 6, 12);
    expect(source.comparison?.units).toBe(6);
    empty = (await metrics.report()).sources.find((s) => s.key === 'dashcam-spots')!;
    expect(empty.labelled).toBe(6);
  });

  it('marks exactly the edited frame stale when a label mask is saved or a prediction replaced', async () => {
    await metrics.evaluate(detachedJobContext());
    await labels.saveMask(dashFrames[1]!, { data: truth.get(dashFrames[1]!)!, width: W, height: H });
    let report = await metrics.report();
    expect(report.sources.find((s) => s.key === 'dashcam-frames')).toMatchObject({ labelled: 1, pending: 1 });
    await metrics.evaluate(detachedJobContext());
    report = await metrics.report();
    const frames = report.sources.find((s) => s.key === 'dashcam-frames')!;
    expect(frames.pending).toBe(0);
    expect(frames.models[0]!.frames).toBe(1);
    expect(frames.models[0]!.confusion).toEqual(toRows(confusionOf(truth.get(dashFrames[1]!)!, masks(11).source)));

    await new Promise((r) => setTimeout(r, 5));
    await project.addPrediction(simFrames[0]!, ada, masks(0).adapted, W, H);
    expect(metrics.pendingFrames()).toBe(1);
  });

  it('records an unreadable prediction once instead of retrying it forever', async () => {
    project.db.prepare("UPDATE predictions SET mask_path = 'missing.png' WHERE frame_id = ? AND model_id = ?").run(simFrames[0], src);
    const result = await metrics.evaluate(detachedJobContext());
    expect(result.failed).toBeGreaterThan(0);
    expect(metrics.pendingFrames()).toBe(0);
    const sim = (await metrics.report()).sources.find((s) => s.key === 'sim')!;
    expect(sim.unreadable).toBe(1);
    expect(sim.models.find((m) => m.modelId === src)!.frames).toBe(4);
  });
});
