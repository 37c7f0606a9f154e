/**
 * Pan and zoom, kept independent of image and canvas size so two panes showing frames of
 * different resolutions can share one: the centre is a fraction of the image, and zoom is
 * relative to "fit the whole image". Changing it moves uniforms only, never textures.
 */
export interface ViewTransform {
  /** Image point at the canvas centre, as fractions of the image width and height. */
  readonly cx: number;
  readonly cy: number;
  /** 1 fits the whole image in the canvas. */
  readonly zoom: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Where the image lands on the canvas: canvas = offset + image * scale. */
export interface Placement {
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

export const FIT: ViewTransform = { cx: 0.5, cy: 0.5, zoom: 1 };
export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 64;

export function placement(view: ViewTransform, image: Size, canvas: Size): Placement {
  const fit = Math.min(canvas.width / image.width, canvas.height / image.height);
  const scale = fit * view.zoom;
  return {
    scale,
    offsetX: canvas.width / 2 - view.cx * image.width * scale,
    offsetY: canvas.height / 2 - view.cy * image.height * scale,
  };
}

export function canvasToImage(p: Placement, x: number, y: number): { x: number; y: number } {
  return { x: (x - p.offsetX) / p.scale, y: (y - p.offsetY) / p.scale };
}

/** A rectangle of buffer pixels, top row first, right and bottom exclusive. */
export interface PixelRect {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * The buffer pixels whose centres lie on the image: the only ones the shader runs for, so
 * it needs no inside test of its own (the pixel at column x is on it when
 * offsetX <= x + 0.5 < offsetX + width * scale).
 */
export function imageSpan(p: Placement, width: number, height: number, buffer: Size): PixelRect {
  const first = (start: number, limit: number) => Math.min(limit, Math.max(0, Math.ceil(start - 0.5)));
  return {
    left: first(p.offsetX, buffer.width),
    right: first(p.offsetX + width * p.scale, buffer.width),
    top: first(p.offsetY, buffer.height),
    bottom: first(p.offsetY + height * p.scale, buffer.height),
  };
}

/** Zooms by `factor`, keeping the image point under (x, y) on the canvas where it is. */
export function zoomAt(view: ViewTransform, factor: number, x: number, y: number, image: Size, canvas: Size): ViewTransform {
  const zoom = clamp(view.zoom * factor, MIN_ZOOM, MAX_ZOOM);
  const before = placement(view, image, canvas);
  const anchor = canvasToImage(before, x, y);
  const scale = before.scale * (zoom / view.zoom);
  return clampCentre({
    zoom,
    cx: (anchor.x + (canvas.width / 2 - x) / scale) / image.width,
    cy: (anchor.y + (canvas.height / 2 - y) / scale) / image.height,
  });
}

/** Moves the image by (dx, dy) canvas pixels. */
export function panBy(view: ViewTransform, dx: number, dy: number, image: Size, canvas: Size): ViewTransform {
  const { scale } = placement(view, image, canvas);
  return clampCentre({ zoom: view.zoom, cx: view.cx - dx / (scale * image.width), cy: view.cy - dy / (scale * image.height) });
}

function clampCentre(view: ViewTransform): ViewTransform {
  // The centre stays on the image, so a pane can never lose its frame off-screen.
  return { zoom: view.zoom, cx: clamp(view.cx, 0, 1), cy: clamp(view.cy, 0, 1) };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
