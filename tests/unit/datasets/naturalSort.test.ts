import { describe, expect, it } from 'vitest';
import { compareNatural, sortNatural } from '../../../main/datasets/naturalSort';

describe('natural sort', () => {
  it('orders numbers by value, not by characters', () => {
    const names = ['frame_10.jpg', 'frame_2.jpg', 'frame_1.jpg', 'Frame_3.jpg', 'frame_010.jpg', 'frame_100.jpg', 'a.jpg', 'b2c10', 'b2c9'];
    expect(sortNatural([...names], (n) => n)).toEqual([
      'a.jpg', 'b2c9', 'b2c10', 'frame_1.jpg', 'frame_2.jpg', 'Frame_3.jpg', 'frame_010.jpg', 'frame_10.jpg', 'frame_100.jpg',
    ]);
  });

  it('is a total order (equal only for identical names)', () => {
    expect(compareNatural('x01', 'x1')).not.toBe(0);
    expect(Math.sign(compareNatural('x01', 'x1'))).toBe(-Math.sign(compareNatural('x1', 'x01')));
    expect(compareNatural('same', 'same')).toBe(0);
  });
});
