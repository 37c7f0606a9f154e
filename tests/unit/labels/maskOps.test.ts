import { describe, expect, it } from 'vitest';
import { classForKey, isCantTellKey, keyHint } from '../../../common/labels/classKeys';
import { labelIdsToTrainIds, trainIdsToLabelIds } from '../../../common/labels/cityscapesIds';
import {
  createMask,
  fillPolygon,
  fillSuperpixel,
  floodFillByColour,
  MaskHistory,
  paintSegment,
  type Mask,
} from '../../../common/labels/maskOps';
import { slic } from '../../../common/labels/superpixels';

const key = (code: string, shiftKey = false, k = '') => ({ code, key: k, shiftKey });

function rows(mask: Mask): string[] {
  return Array.from({ length: mask.height }, (_, y) =>
    Array.from(mask.data.subarray(y * mask.width, (y + 1) * mask.width), (v) => (v === 255 ? '.' : String(v))).join(''),
  );
}

describe('class keys', () => {
  it('maps 1–9, 0 to trainIds 0–9 and Shift+1–9 to 10–18', () => {
    expect(classForKey(key('Digit1'))).toBe(0);
    expect(classForKey(key('Digit9'))).toBe(8);
    expect(classForKey(key('Digit0'))).toBe(9);
    expect(classForKey(key('Numpad3'))).toBe(2);
    expect(classForKey(key('Digit1', true))).toBe(10);
    expect(classForKey(key('Digit9', true))).toBe(18);
    expect(classForKey(key('Digit0', true))).toBeNull();
    expect(classForKey(key('KeyA'))).toBeNull();
    expect(classForKey({ ...key('Digit1'), ctrlKey: true })).toBeNull();
    expect([0, 9, 10, 18].map(keyHint)).toEqual(['1', '0', '⇧1', '⇧9']);
    expect(isCantTellKey(key('KeyX', false, 'x'))).toBe(true);
    expect(isCantTellKey(key('KeyX', true, 'X'))).toBe(true);
  });
});

describe('labelIds', () => {
  it('round-trips every trainId and maps ignore to unlabeled', () => {
    const train = Uint8Array.from([...Array.from({ length: 19 }, (_, i) => i), 255]);
    const label = trainIdsToLabelIds(train);
    expect(Array.from(label)).toEqual([7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33, 0]);
    expect(Array.from(labelIdsToTrainIds(label))).toEqual(Array.from(train));
    expect(Array.from(labelIdsToTrainIds(Uint8Array.from([1, 6, 9, 34])))).toEqual([255, 255, 255, 255]);
  });
});

describe('mask operations', () => {
  it('paints a round brush and a gap-free stroke', () => {
    const m = createMask(7, 5);
    paintSegment(m, { x: 3.5, y: 2.5 }, { x: 3.5, y: 2.5 }, 1, 1);
    expect(rows(m)).toEqual(['.......', '...1...', '..111..', '...1...', '.......']);
    const s = createMask(10, 3);
    paintSegment(s, { x: 0.5, y: 1.5 }, { x: 9.5, y: 1.5 }, 0.5, 2);
    expect(rows(s)[1]).toBe('2222222222');
    expect(rows(s)[0]).toBe('..........');
  });

  it('fills polygons at pixel centres by the even-odd rule', () => {
    const m = createMask(6, 6);
    expect(fillPolygon(m, [{ x: 1, y: 1 }, { x: 5, y: 1 }, { x: 5, y: 4 }, { x: 1, y: 4 }], 3)).toBe(12);
    expect(rows(m)).toEqual(['......', '.3333.', '.3333.', '.3333.', '......', '......']);
    const t = createMask(5, 5);
    fillPolygon(t, [{ x: 0, y: 0 }, { x: 5, y: 0 }, { x: 0, y: 5 }], 4);
    expect(rows(t)).toEqual(['4444.', '444..', '44...', '4....', '.....']);
    expect(fillPolygon(t, [{ x: 0, y: 0 }, { x: 1, y: 1 }], 1)).toBe(0);
  });

  it('flood fills a colour region within the tolerance', () => {
    const m = createMask(4, 2);
    // left half dark (with a little noise), right half bright
    const rgba = Uint8Array.from([10, 10, 10, 255, 14, 12, 10, 255, 200, 200, 200, 255, 200, 200, 200, 255,
      12, 10, 10, 255, 10, 10, 16, 255, 200, 200, 200, 255, 200, 200, 200, 255]);
    expect(floodFillByColour(m, rgba, { x: 0, y: 0 }, 8, 5)).toBe(4);
    expect(rows(m)).toEqual(['55..', '55..']);
    expect(floodFillByColour(createMask(4, 2), rgba, { x: 0, y: 0 }, 3, 5)).toBe(2);
    expect(floodFillByColour(m, rgba, { x: 9, y: 9 }, 3, 5)).toBe(0);
  });

  it('fills one superpixel', () => {
    const m = createMask(4, 2);
    const segments = Int32Array.from([0, 0, 1, 1, 0, 2, 2, 1]);
    expect(fillSuperpixel(m, segments, { x: 0.5, y: 0.5 }, 7)).toBe(3);
    expect(rows(m)).toEqual(['77..', '7...']);
  });

  it('undoes and redoes edits, dropping the redo branch on a new edit', () => {
    const m = createMask(3, 1);
    const h = new MaskHistory();
    h.begin(m);
    m.data[0] = 1;
    expect(h.commit(m)).toBe(true);
    h.begin(m);
    m.data[1] = 2;
    h.commit(m);
    h.begin(m);
    expect(h.commit(m)).toBe(false);
    expect(h.undo(m)).toBe(true);
    expect(Array.from(m.data)).toEqual([1, 255, 255]);
    expect(h.redo(m)).toBe(true);
    expect(Array.from(m.data)).toEqual([1, 2, 255]);
    h.undo(m);
    h.undo(m);
    expect(Array.from(m.data)).toEqual([255, 255, 255]);
    expect(h.canUndo).toBe(false);
    h.begin(m);
    m.data[2] = 3;
    h.commit(m);
    expect(h.canRedo).toBe(false);
  });
});

describe('superpixels', () => {
  it('separates two flat colour halves along their boundary', () => {
    const w = 64;
    const h = 32;
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) rgba.set(x < 40 ? [30, 30, 30, 255] : [220, 180, 40, 255], (y * w + x) * 4);
    const seg = slic(rgba, w, h, { step: 16 });
    for (let y = 0; y < h; y++) {
      // No superpixel straddles the colour edge between x = 39 and x = 40.
      expect(seg[y * w + 39]).not.toBe(seg[y * w + 40]);
    }
    const ids = new Set(seg);
    expect(ids.size).toBeGreaterThan(2);
    expect(Math.min(...ids)).toBe(0);
  });
});
