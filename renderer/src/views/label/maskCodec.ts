import { TRAIN_CLASSES } from '../../../../common/classes';
import type { PackedMask } from '../../../../common/labelsContract';

/** Masks travel deflated (see PackedMask); the browser's own streams do the (de)compression. */
export async function unpackMask(packed: PackedMask): Promise<Uint8Array> {
  const binary = atob(packed.data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  const data = new Uint8Array(await new Response(stream).arrayBuffer());
  if (data.length !== packed.width * packed.height) throw new Error('mask data does not match its size');
  return data;
}

export async function packMask(data: Uint8Array, width: number, height: number): Promise<PackedMask> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return { width, height, data: btoa(binary) };
}

export interface FramePixels {
  readonly image: HTMLImageElement;
  readonly width: number;
  readonly height: number;
  /** Read lazily: only the fill tools need the pixels. */
  rgba(): Uint8ClampedArray;
}

export function loadFrame(url: string): Promise<FramePixels> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.decoding = 'async';
    image.onload = () => {
      let cached: Uint8ClampedArray | null = null;
      resolve({
        image,
        width: image.naturalWidth,
        height: image.naturalHeight,
        rgba: () => {
          if (!cached) {
            const canvas = document.createElement('canvas');
            canvas.width = image.naturalWidth;
            canvas.height = image.naturalHeight;
            const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
            ctx.drawImage(image, 0, 0);
            cached = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          }
          return cached;
        },
      });
    };
    image.onerror = () => reject(new Error(`could not load ${url}`));
    image.src = url;
  });
}

/** trainId → packed RGBA (little-endian) for painting overlays; 255 stays transparent. */
export const CLASS_RGBA: Uint32Array = (() => {
  const lut = new Uint32Array(256);
  for (const c of TRAIN_CLASSES) {
    const [r, g, b] = c.colour;
    lut[c.trainId] = (255 << 24) | (b << 16) | (g << 8) | r;
  }
  return lut;
})();

export function cssColour(trainId: number): string {
  const c = TRAIN_CLASSES[trainId];
  return c ? `rgb(${c.colour.join(',')})` : 'transparent';
}

/** Whether a key event belongs to a text field, where shortcuts must not fire. */
export function typingInField(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}
