import type { TrainIdMask } from '../labels/maskFiles';

interface SpotAt {
  readonly frameId: number;
  readonly x: number;
  readonly y: number;
  readonly width: number | null;
  readonly height: number | null;
}

/**
 * What each model predicted at each spot. Decoding a mask to read one pixel is the slow
 * part of a spot report, so values are remembered per prediction stamp: after the first
 * report, answering a spot costs one decode of its own frame at most.
 */
export class SpotPredictions {
  private readonly memo = new Map<string, number>();

  constructor(private readonly readMask: (path: string) => Promise<TrainIdMask>) {}

  /** Returns the predicted trainId per spot, in order; null where the prediction is unreadable. */
  async lookup(modelStamp: string, maskPath: string, spots: readonly SpotAt[]): Promise<(number | null)[]> {
    const keys = spots.map((s) => `${modelStamp}@${s.frameId}:${s.x}:${s.y}`);
    if (keys.every((k) => this.memo.has(k))) return keys.map((k) => this.memo.get(k)!);
    let mask: TrainIdMask;
    try {
      mask = await this.readMask(maskPath);
    } catch {
      return spots.map(() => null);
    }
    return spots.map((s, i) => {
      // Spots live in frame pixels; a prediction at another resolution is read at the same place.
      const x = s.width && s.width !== mask.width ? Math.floor(((s.x + 0.5) * mask.width) / s.width) : s.x;
      const y = s.height && s.height !== mask.height ? Math.floor(((s.y + 0.5) * mask.height) / s.height) : s.y;
      const value = x < mask.width && y < mask.height ? mask.data[y * mask.width + x]! : 255;
      this.memo.set(keys[i]!, value);
      return value;
    });
  }

  clear(): void {
    this.memo.clear();
  }
}
