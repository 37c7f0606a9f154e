import type { GreyImage } from './greyPng';
import type { PaneLayers } from './PaneViewer';

export interface ModelAtPixel {
  readonly trainId: number;
  /** 0..1, or null when the model's confidence map is missing. */
  readonly confidence: number | null;
}

export interface HoverProbe {
  readonly x: number;
  readonly y: number;
  readonly a: ModelAtPixel | null;
  readonly b: ModelAtPixel | null;
  readonly label: number | null;
  readonly synthetic: number | null;
}

/**
 * What each layer holds at an image pixel, read from the CPU copies of the masks, so a
 * hover never waits on a GPU readback. Layers at another resolution than the image are
 * sampled the way the shader samples them (nearest texel).
 */
export function probeLayers(layers: PaneLayers, x: number, y: number): HoverProbe {
  const { width, height } = layers.image;
  const at = (image: GreyImage | null) => valueAt(image, x, y, width, height);
  const model = (mask: GreyImage | null, confidence: GreyImage | null): ModelAtPixel | null => {
    const trainId = at(mask);
    if (trainId === null) return null;
    const c = at(confidence);
    return { trainId, confidence: c === null ? null : c / 255 };
  };
  const synthetic = at(layers.synthetic);
  return {
    x,
    y,
    a: model(layers.maskA, layers.confidenceA),
    b: model(layers.maskB, layers.confidenceB),
    label: at(layers.label),
    synthetic: synthetic === null ? null : synthetic / 255,
  };
}

export function valueAt(image: GreyImage | null, x: number, y: number, width: number, height: number): number | null {
  if (!image) return null;
  const px = Math.min(image.width - 1, Math.max(0, Math.floor(((x + 0.5) / width) * image.width)));
  const py = Math.min(image.height - 1, Math.max(0, Math.floor(((y + 0.5) / height) * image.height)));
  return image.data[py * image.width + px] ?? null;
}
