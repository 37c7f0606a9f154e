/**
 * A procedural road scene whose every pixel's class is known: the ground truth, a
 * "source-only" prediction with the errors a simulator-trained model makes on real
 * frames (road read as sidewalk, a car read as building, sky bleeding into buildings) and
 * an "adapted" one with fewer. The compare tests check the viewer's pixels against these
 * masks; the screenshot and the benchmark use them as plausible content.
 */

export type FramePredictions = Pick<
  SceneFrame,
  'width' | 'height' | 'a' | 'b' | 'confidenceA' | 'confidenceB' | 'entropyA' | 'entropyB' | 'synthetic'
>;

export interface SceneFrame {
  readonly width: number;
  readonly height: number;
  /** RGB, 3 bytes per pixel. */
  readonly image: Buffer;
  readonly gt: Uint8Array;
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly confidenceA: Uint8Array;
  readonly confidenceB: Uint8Array;
  readonly entropyA: Uint8Array;
  readonly entropyB: Uint8Array;
  readonly synthetic: Uint8Array;
}

export const CLASS = {
  road: 0,
  sidewalk: 1,
  building: 2,
  pole: 5,
  trafficSign: 7,
  vegetation: 8,
  terrain: 9,
  sky: 10,
  person: 11,
  car: 13,
} as const;

/** Base appearance per class (not the palette: the overlay must differ from the image). */
const LOOK: Record<number, [number, number, number]> = {
  0: [92, 90, 96],
  1: [150, 144, 136],
  2: [120, 104, 92],
  5: [70, 70, 74],
  7: [200, 190, 60],
  8: [60, 110, 50],
  9: [120, 140, 80],
  10: [150, 185, 225],
  11: [170, 60, 60],
  13: [150, 30, 36],
};

interface Box {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

const inBox = (u: number, v: number, b: Box) => u >= b.x0 && u < b.x1 && v >= b.y0 && v < b.y1;
const HORIZON = 0.46;

/** Frame `index` of a sequence: the cars drive, so each frame differs. */
export function sceneLayout(index: number) {
  const drift = ((index * 37) % 100) / 100;
  return {
    carNear: { x0: 0.3 + drift * 0.22, x1: 0.44 + drift * 0.22, y0: 0.6, y1: 0.74 },
    carFar: { x0: 0.56 - drift * 0.06, x1: 0.62 - drift * 0.06, y0: 0.5, y1: 0.56 },
    person: { x0: 0.2 + drift * 0.05, x1: 0.225 + drift * 0.05, y0: 0.5, y1: 0.66 },
    buildingLeft: { x0: 0, x1: 0.27, y0: 0.1 + drift * 0.05, y1: HORIZON + 0.04 },
    buildingRight: { x0: 0.76, x1: 1, y0: 0.16, y1: HORIZON + 0.04 },
    pole: { x0: 0.7, x1: 0.708, y0: 0.22, y1: 0.62 },
    sign: { x0: 0.685, x1: 0.725, y0: 0.2, y1: 0.25 },
    tree: { cx: 0.34, cy: 0.3, r: 0.075 },
  };
}

export function groundTruthAt(u: number, v: number, index: number, aspect: number): number {
  const s = sceneLayout(index);
  if (inBox(u, v, s.carNear) || inBox(u, v, s.carFar)) return CLASS.car;
  if (inBox(u, v, s.person)) return CLASS.person;
  if (inBox(u, v, s.sign)) return CLASS.trafficSign;
  if (inBox(u, v, s.pole)) return CLASS.pole;
  const dx = (u - s.tree.cx) * aspect;
  const dy = v - s.tree.cy;
  if (dx * dx + dy * dy < s.tree.r * s.tree.r) return CLASS.vegetation;
  if (inBox(u, v, s.buildingLeft) || inBox(u, v, s.buildingRight)) return CLASS.building;
  if (v < HORIZON) return CLASS.sky;
  const spread = Math.abs(u - 0.5);
  const depth = v - HORIZON;
  if (spread < 0.06 + depth * 1.1) return CLASS.road;
  if (spread < 0.1 + depth * 1.5) return CLASS.sidewalk;
  return u < 0.5 ? CLASS.vegetation : CLASS.terrain;
}

/** Source-only: road near the left kerb read as sidewalk, the near car as building, sky bleeding. */
function sourceOnlyAt(gt: number, u: number, v: number, index: number): number {
  const s = sceneLayout(index);
  if (gt === CLASS.road && u < 0.5 && v > 0.7) return CLASS.sidewalk;
  if (gt === CLASS.car && inBox(u, v, s.carNear) && u < (s.carNear.x0 + s.carNear.x1) / 2) return CLASS.building;
  if (gt === CLASS.sky && v > HORIZON - 0.08 && u > 0.6) return CLASS.building;
  if (gt === CLASS.terrain && v > 0.85) return CLASS.vegetation;
  return gt;
}

/** Adapted: misses the far car and a sliver of the pole, otherwise right. */
function adaptedAt(gt: number, u: number, v: number, index: number): number {
  const s = sceneLayout(index);
  if (gt === CLASS.car && inBox(u, v, s.carFar)) return CLASS.road;
  if (gt === CLASS.pole && v > 0.5) return CLASS.building;
  return gt;
}

/** Image-only detail (windows, lane marks, car glass) that does not change the class. */
function detail(c: number, u: number, v: number, index: number): [number, number, number] | null {
  if (c === CLASS.building && (u * 70) % 3 < 1.3 && (v * 48) % 3 < 1.6) return [70, 78, 92];
  if (c === CLASS.road) {
    const depth = v - HORIZON;
    if (Math.abs(u - 0.5) < 0.003 + depth * 0.012 && (depth * 30 + index * 0.4) % 2 < 1) return [215, 215, 205];
  }
  if (c === CLASS.car) {
    const s = sceneLayout(index);
    const car = inBox(u, v, s.carNear) ? s.carNear : s.carFar;
    if (v < car.y0 + (car.y1 - car.y0) * 0.4) return [60, 70, 84];
  }
  if (c === CLASS.sky) return [120 + v * 80, 165 + v * 50, 225];
  return null;
}

function hash(x: number, y: number, seed: number): number {
  let h = (x * 374761393 + y * 668265263 + seed * 2147483647) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Low confidence (high entropy) near class boundaries, as a real model's would be. */
function certainty(mask: Uint8Array, width: number, height: number, reach: number, base: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = mask[y * width + x]!;
      let edge = false;
      for (const [dx, dy] of [
        [reach, 0],
        [-reach, 0],
        [0, reach],
        [0, -reach],
      ] as const) {
        const nx = Math.min(width - 1, Math.max(0, x + dx));
        const ny = Math.min(height - 1, Math.max(0, y + dy));
        if (mask[ny * width + nx] !== c) edge = true;
      }
      out[y * width + x] = edge ? 96 : base;
    }
  }
  return out;
}

export function renderScene(width: number, height: number, index: number, domain: 'sim' | 'dashcam'): SceneFrame {
  const n = width * height;
  const image = Buffer.alloc(n * 3);
  const gt = new Uint8Array(n);
  const a = new Uint8Array(n);
  const b = new Uint8Array(n);
  const synthetic = new Uint8Array(n);
  const aspect = width / height;
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) / height;
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      const p = y * width + x;
      const c = groundTruthAt(u, v, index, aspect);
      gt[p] = c;
      a[p] = sourceOnlyAt(c, u, v, index);
      b[p] = adaptedAt(c, u, v, index);
      const look = detail(c, u, v, index) ?? LOOK[c]!;
      // The simulator renders flat and saturated; the dashcam is noisy and warmer.
      const noise = domain === 'sim' ? 0 : (hash(x, y, index) - 0.5) * 26;
      const shade = 0.82 + 0.3 * (1 - v);
      const warm = domain === 'sim' ? [0, 0, 6] : [10, 4, -8];
      for (let k = 0; k < 3; k++) {
        image[p * 3 + k] = Math.max(20, Math.min(235, Math.round(look[k]! * shade + warm[k]! + noise)));
      }
      synthetic[p] = Math.round(255 * (domain === 'sim' ? 0.7 + 0.25 * u : 0.1 + 0.5 * u * v));
    }
  }
  const confidenceA = certainty(a, width, height, 4, 190);
  const confidenceB = certainty(b, width, height, 2, 236);
  return {
    width,
    height,
    image,
    gt,
    a,
    b,
    confidenceA,
    confidenceB,
    entropyA: confidenceA.map((c) => 255 - c),
    entropyB: confidenceB.map((c) => 255 - c),
    synthetic,
  };
}

/**
 * Plausible model outputs for a labelled frame: the adapted model is the label with a few
 * blocky slips, the source-only one adds the errors of the domain gap (road near the kerb
 * read as sidewalk, sky as building, cars as trucks, vegetation as terrain). Ignore
 * pixels take the class above them, since a model always answers something.
 */
export function predictionsFromLabel(label: Uint8Array, width: number, height: number, seed: number): FramePredictions {
  const gt = Uint8Array.from(label);
  for (let i = 0; i < gt.length; i++) if (gt[i]! >= 19) gt[i] = i >= width ? gt[i - width]! : CLASS.sky;
  const a = new Uint8Array(gt.length);
  const b = new Uint8Array(gt.length);
  const synthetic = new Uint8Array(gt.length);
  const block = (x: number, y: number, size: number, salt: number) => hash(Math.floor(x / size), Math.floor(y / size), seed * 31 + salt);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const i = y * width + x;
      const c = gt[i]!;
      let source = c;
      if (c === CLASS.road && v > 0.72 && u < 0.3) source = CLASS.sidewalk;
      else if (c === CLASS.sidewalk && u > 0.72) source = CLASS.road;
      else if (c === CLASS.car && block(x, y, 24, 1) < 0.45) source = 14;
      else if (c === CLASS.sky && v > 0.22 && block(x, y, 32, 2) < 0.5) source = CLASS.building;
      else if (c === CLASS.vegetation && block(x, y, 32, 3) < 0.35) source = CLASS.terrain;
      else if (c === CLASS.building && block(x, y, 32, 4) < 0.15) source = 3;
      a[i] = source;
      b[i] = c === CLASS.terrain && block(x, y, 16, 5) < 0.3 ? CLASS.vegetation : c === CLASS.pole && v > 0.55 ? CLASS.building : c;
      synthetic[i] = Math.round(255 * (0.15 + 0.6 * block(x, y, 64, 6) * v));
    }
  }
  const confidenceA = certainty(a, width, height, 4, 188);
  const confidenceB = certainty(b, width, height, 2, 236);
  return {
    width,
    height,
    a,
    b,
    confidenceA,
    confidenceB,
    entropyA: confidenceA.map((c) => 255 - c),
    entropyB: confidenceB.map((c) => 255 - c),
    synthetic,
  };
}

export function histogram(mask: Uint8Array): number[] {
  const counts = new Array<number>(19).fill(0);
  for (const c of mask) if (c < 19) counts[c]!++;
  return counts;
}

export function disagreement(a: Uint8Array, b: Uint8Array): number {
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  return differ / a.length;
}

/** Cityscapes labelIds for the trainIds used here (GTA5 labels store labelIds). */
export const LABEL_ID_OF_TRAIN_ID: Record<number, number> = {
  0: 7,
  1: 8,
  2: 11,
  5: 17,
  7: 20,
  8: 21,
  9: 22,
  10: 23,
  11: 24,
  13: 26,
};
