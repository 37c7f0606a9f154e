import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../common/metrics/rng';
import { sampleFrames, sampleStratified, sampleUniform, type PredictionAccess } from '../../../main/labels/spotSampler';

/** Two frames whose "predictions" are random class maps with a few rare classes. */
function fixture() {
  const rng = new SeededRng(3);
  const frames = [
    { id: 1, width: 40, height: 30 },
    { id: 2, width: 60, height: 20 },
  ];
  const masks = new Map(
    frames.map((f) => [f.id, Uint8Array.from({ length: f.width * f.height }, () => (rng.next() < 0.9 ? 0 : rng.next() < 0.8 ? 13 : 11))]),
  );
  const access: PredictionAccess = {
    histogram: async () => null,
    mask: async (frameId) => ({ data: masks.get(frameId)!, width: frames.find((f) => f.id === frameId)!.width, height: frames.find((f) => f.id === frameId)!.height }),
    entropy: async () => null,
  };
  return { frames, masks, access };
}

describe('spot samplers', () => {
  it('gives stratified spots weights whose weighted class shares match the population', async () => {
    const { frames, masks, access } = fixture();
    const spots = await sampleStratified(frames, 6000, 11, 1, access);
    expect(spots).toHaveLength(6000);
    const all = [...masks.values()].flatMap((m) => Array.from(m));
    const estimate = new Map<number, number>();
    for (const s of spots) {
      const f = frames.find((x) => x.id === s.frameId)!;
      const k = masks.get(s.frameId)![s.y * f.width + s.x]!;
      estimate.set(k, (estimate.get(k) ?? 0) + s.weight / spots.length);
    }
    for (const k of [0, 11, 13]) {
      const truth = all.filter((v) => v === k).length / all.length;
      expect(estimate.get(k)!).toBeCloseTo(truth, 2);
    }
    // Each class got about a third of the draws, however rare.
    const person = spots.filter((s) => masks.get(s.frameId)![s.y * frames.find((x) => x.id === s.frameId)!.width + s.x] === 11).length;
    expect(person / spots.length).toBeGreaterThan(0.3);
  });

  it('is reproducible from the seed', async () => {
    const { frames, access } = fixture();
    expect(await sampleStratified(frames, 50, 4, 1, access)).toEqual(await sampleStratified(frames, 50, 4, 1, access));
    expect(sampleUniform(frames, 50, 4)).toEqual(sampleUniform(frames, 50, 4));
    expect(sampleUniform(frames, 50, 4)).not.toEqual(sampleUniform(frames, 50, 5));
    expect(sampleUniform([], 5, 1)).toEqual([]);
  });

  it('chooses whole frames without replacement', () => {
    const chosen = sampleFrames([1, 2, 3, 4, 5], 3, 9);
    expect(new Set(chosen).size).toBe(3);
    expect(sampleFrames([1, 2], 5, 9).sort()).toEqual([1, 2]);
  });
});
