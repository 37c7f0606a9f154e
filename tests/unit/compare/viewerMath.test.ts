import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGreyPng } from '../../../renderer/src/views/compare/viewer/greyPng';
import { valueAt } from '../../../renderer/src/views/compare/viewer/hoverProbe';
import { turboRgb } from '../../../renderer/src/views/compare/viewer/shaders';
import { canvasToImage, FIT, imageSpan, panBy, placement, zoomAt } from '../../../renderer/src/views/compare/viewer/viewTransform';

const image = { width: 1024, height: 512 };
const canvas = { width: 800, height: 600 };

describe('view transform', () => {
  it('fits the whole image, centred, at zoom 1', () => {
    const p = placement(FIT, image, canvas);
    expect(p.scale).toBeCloseTo(800 / 1024);
    expect(p.offsetX).toBeCloseTo(0);
    expect(p.offsetY).toBeCloseTo((600 - 512 * p.scale) / 2);
  });

  it('zooms about the pointer: the image point under it stays put', () => {
    const before = placement(FIT, image, canvas);
    const anchor = canvasToImage(before, 250, 200);
    const zoomed = zoomAt(FIT, 3, 250, 200, image, canvas);
    const after = canvasToImage(placement(zoomed, image, canvas), 250, 200);
    expect(zoomed.zoom).toBe(3);
    expect(after.x).toBeCloseTo(anchor.x, 6);
    expect(after.y).toBeCloseTo(anchor.y, 6);
  });

  it('pans by canvas pixels and keeps the centre on the image', () => {
    const zoomed = zoomAt(FIT, 4, 400, 300, image, canvas);
    const moved = panBy(zoomed, 100, 0, image, canvas);
    const shift = placement(moved, image, canvas).offsetX - placement(zoomed, image, canvas).offsetX;
    expect(shift).toBeCloseTo(100, 6);
    expect(panBy(FIT, 1e6, -1e6, image, canvas)).toMatchObject({ cx: 0, cy: 1 });
  });

  it('is independent of resolution, so panes with different frame sizes can share it', () => {
    const view = zoomAt(FIT, 2, 100, 100, image, canvas);
    const small = placement(view, { width: 512, height: 256 }, canvas);
    const large = placement(view, image, canvas);
    expect(small.offsetX).toBeCloseTo(large.offsetX);
    expect(small.scale).toBeCloseTo(large.scale * 2);
  });

  it('scissors to exactly the pixels whose centres lie on the image (the shader has no inside test)', () => {
    // Fitted, zoomed about odd points (fractional offsets), panned off either edge.
    const views = [FIT, zoomAt(FIT, 3.7, 123, 77, image, canvas), zoomAt(FIT, 0.61, 700, 20, image, canvas)];
    views.push(panBy(views[1]!, 5000, -5000, image, canvas), panBy(views[2]!, -333.3, 91.7, image, canvas));
    for (const view of views) {
      const p = placement(view, image, canvas);
      const span = imageSpan(p, image.width, image.height, canvas);
      const inside = (x: number, y: number) => {
        const at = canvasToImage(p, x + 0.5, y + 0.5);
        return at.x >= 0 && at.y >= 0 && at.x < image.width && at.y < image.height;
      };
      const columns = Array.from({ length: canvas.width }, (_, x) => x).filter((x) => inside(x, span.top));
      const rows = Array.from({ length: canvas.height }, (_, y) => y).filter((y) => inside(span.left, y));
      expect([columns[0], columns.at(-1)! + 1]).toEqual([span.left, span.right]);
      expect([rows[0], rows.at(-1)! + 1]).toEqual([span.top, span.bottom]);
    }
  });
});

describe('grey PNG decoding', () => {
  it('returns the stored bytes of every row filter sharp writes', async () => {
    const width = 37;
    const height = 11;
    const data = Uint8Array.from({ length: width * height }, (_, i) => (i * 7 + (i >> 3)) % 256);
    for (const adaptiveFiltering of [false, true]) {
      const png = await sharp(Buffer.from(data), { raw: { width, height, channels: 1 } })
        .png({ adaptiveFiltering, compressionLevel: 9 })
        .toBuffer();
      const decoded = await decodeGreyPng(new Uint8Array(png));
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      expect(Buffer.from(decoded.data).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('keeps the first channel of an RGB PNG', async () => {
    const rgb = Buffer.from([1, 2, 3, 40, 50, 60, 7, 8, 9, 250, 0, 0]);
    const png = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } }).png().toBuffer();
    expect([...(await decodeGreyPng(new Uint8Array(png))).data]).toEqual([1, 40, 7, 250]);
  });

  it('refuses what is not a PNG', async () => {
    await expect(decodeGreyPng(new Uint8Array(64))).rejects.toThrow(/not a PNG/);
  });
});

describe('hover sampling and colour bar', () => {
  it('samples a layer at another resolution the way the shader does (nearest texel)', () => {
    const half = { width: 2, height: 1, data: Uint8Array.from([5, 9]) };
    expect(valueAt(half, 0, 0, 4, 2)).toBe(5);
    expect(valueAt(half, 1, 1, 4, 2)).toBe(5);
    expect(valueAt(half, 2, 0, 4, 2)).toBe(9);
    expect(valueAt(null, 0, 0, 4, 2)).toBeNull();
  });

  it('runs the turbo map from blue to red', () => {
    const [r0, , b0] = turboRgb(0.1);
    const [r1, , b1] = turboRgb(0.95);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
  });
});
