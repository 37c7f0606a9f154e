import { describe, expect, it } from 'vitest';
import type { CompareFrameRow } from '../../../common/contract';
import {
  ALL_CLASSES_VISIBLE,
  initialCompareState,
  reduceCompare,
  selectCurrentFrame,
  type CompareChange,
  type CompareState,
} from '../../../renderer/src/store/compareSlice';

const row = (id: number): CompareFrameRow => ({
  id,
  relPath: `f${id}.png`,
  hasLabel: false,
  width: 8,
  height: 4,
  disagreement: null,
  meanEntropy: null,
  syntheticScore: null,
});
const apply = (state: CompareState, ...changes: CompareChange[]) => changes.reduce(reduceCompare, state);
const withFrames = (ids: number[], total = ids.length) =>
  apply(
    initialCompareState,
    { kind: 'dataset', pane: 'dashcam', datasetId: 1 },
    { kind: 'frames', pane: 'dashcam', frames: ids.map(row), total, append: false, keepFrameId: null },
  );

describe('compare slice', () => {
  it('picks source-only and adapted models by role, skipping the discriminator', () => {
    const state = reduceCompare(initialCompareState, {
      kind: 'models',
      models: [
        { id: 3, name: 'D', role: 'discriminator' },
        { id: 5, name: 'Adapted', role: 'adapted' },
        { id: 7, name: 'Source', role: 'source_only' },
      ],
    });
    expect([state.modelA, state.modelB]).toEqual([7, 5]);
    // A choice the user made survives a reload of the model list.
    const chosen = apply(state, { kind: 'pickModels', a: 5, b: 7 }, { kind: 'models', models: [...state.models] });
    expect([chosen.modelA, chosen.modelB]).toEqual([5, 7]);
  });

  it('steps within the loaded frames, one pane or both', () => {
    let state = withFrames([10, 11, 12]);
    state = apply(state, { kind: 'step', panes: ['dashcam'], delta: 1 });
    expect(selectCurrentFrame(state, 'dashcam')?.id).toBe(11);
    state = apply(state, { kind: 'step', panes: ['dashcam', 'sim'], delta: 99 });
    expect(selectCurrentFrame(state, 'dashcam')?.id).toBe(12);
    expect(state.panes.sim.index).toBe(0);
    state = apply(state, { kind: 'step', panes: ['dashcam'], delta: -99 });
    expect(state.panes.dashcam.index).toBe(0);
  });

  it('keeps the current frame when the list is re-sorted, and starts over when it is gone', () => {
    let state = apply(withFrames([10, 11, 12]), { kind: 'goTo', pane: 'dashcam', index: 1 });
    state = apply(state, { kind: 'frames', pane: 'dashcam', frames: [12, 11, 10].map(row), total: 3, append: false, keepFrameId: 11 });
    expect(state.panes.dashcam.index).toBe(1);
    state = apply(state, { kind: 'frames', pane: 'dashcam', frames: [12, 10].map(row), total: 2, append: false, keepFrameId: 11 });
    expect(state.panes.dashcam.index).toBe(0);
  });

  it('seeks a frame by id: at once when loaded, else when a later page brings it', () => {
    let state = withFrames([10, 11], 4);
    state = apply(state, { kind: 'seek', pane: 'dashcam', frameId: 11 });
    expect(state.panes.dashcam).toMatchObject({ index: 1, seekFrameId: null });
    state = apply(state, { kind: 'seek', pane: 'dashcam', frameId: 13 });
    expect(state.panes.dashcam).toMatchObject({ index: 1, seekFrameId: 13 });
    state = apply(state, { kind: 'frames', pane: 'dashcam', frames: [12, 13].map(row), total: 4, append: true, keepFrameId: 11 });
    expect(state.panes.dashcam).toMatchObject({ index: 3, seekFrameId: null });
    expect(state.panes.dashcam.frames.map((f) => f.id)).toEqual([10, 11, 12, 13]);
  });

  it('toggles, solos and restores class visibility as a bitmask', () => {
    let state = apply(initialCompareState, { kind: 'toggleClass', trainId: 13 });
    expect(state.visibleClasses).toBe(ALL_CLASSES_VISIBLE & ~(1 << 13));
    state = apply(state, { kind: 'soloClass', trainId: 0 });
    expect(state.visibleClasses).toBe(1);
    state = apply(state, { kind: 'soloClass', trainId: 0 });
    expect(state.visibleClasses).toBe(ALL_CLASSES_VISIBLE);
    expect(apply(state, { kind: 'showClasses', visible: 0 }).visibleClasses).toBe(0);
  });

  it('clamps opacity and the split divider to 0..1', () => {
    const state = apply(initialCompareState, { kind: 'split', split: 1.4 }, { kind: 'opacity', pane: 'sim', opacity: -1 });
    expect(state.split).toBe(1);
    expect(state.panes.sim.opacity).toBe(0);
  });
});
