/**
 * The app's Pillow-exact resize against Pillow itself, at sizes that exercise each path of the
 * padded-tap loops: shrinks by up to 2x (four taps), heavier shrinks (windows past four taps),
 * enlargements, and inputs narrower than the padded window.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../common/metrics/rng';
import { resizeBilinearLikePillow } from '../../../main/inference/pilBilinear';

const PYTHON = '/usr/bin/python3';
const PILLOW = `
import sys
from PIL import Image
w, h, ow, oh = map(int, sys.argv[1:5])
src = sys.stdin.buffer.read()
sys.stdout.buffer.write(Image.frombytes('RGB', (w, h), src).resize((ow, oh), Image.BILINEAR).tobytes())
`;

function pillowMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  return spawnSync(PYTHON, ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0 ? null : `${PYTHON} cannot import PIL (apt-get install python3-pil)`;
}

/** Noise with saturated pixels, so clipping at 0 and 255 is exercised too. */
function randomRgb(width: number, height: number, seed: number): Uint8Array {
  const rng = new SeededRng(seed);
  const rand = () => rng.next();
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i++) out[i] = rand() < 0.1 ? (rand() < 0.5 ? 0 : 255) : Math.floor(rand() * 256);
  return out;
}

const SIZES: [number, number, number, number][] = [
  [1024, 512, 512, 256],
  [1280, 720, 512, 256],
  [1920, 1080, 256, 128],
  [3000, 17, 512, 4],
  [100, 70, 333, 211],
  [640, 480, 640, 240],
  [9, 5, 2, 8],
  [3, 2, 1, 1],
  [2, 3, 5, 7],
];

const missing = pillowMissing();

describe("resizeBilinearLikePillow is Pillow's Image.resize(BILINEAR)", () => {
  it.skipIf(missing !== null)(`byte for byte at ${SIZES.length} size pairs${missing ? ` (skipped: ${missing})` : ''}`, () => {
    SIZES.forEach(([w, h, ow, oh], k) => {
      const src = randomRgb(w, h, k + 1);
      const pil = spawnSync(PYTHON, ['-c', PILLOW, String(w), String(h), String(ow), String(oh)], { input: src, maxBuffer: 64 << 20 });
      expect(pil.status, pil.stderr?.toString()).toBe(0);
      const ours = resizeBilinearLikePillow(src, w, h, ow, oh);
      expect(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(pil.stdout), `${w}x${h} -> ${ow}x${oh}`).toBe(true);
    });
  });
});
