import sharp from 'sharp';
import { MAX_IMAGE_PIXELS } from '../datasets/imageLimits';

/**
 * Encodes one byte per pixel (trainIds, labelIds, 0..255 maps) as an 8-bit greyscale PNG.
 * Without 'b-w', sharp writes one-channel data as an RGB PNG (three times the bytes).
 * Level 3 without adaptive filtering measured fastest here and stays small for masks.
 */
export function encodeGreyPng(data: Uint8Array, width: number, height: number, compressionLevel = 3): Promise<Buffer> {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel, adaptiveFiltering: false })
    .toBuffer();
}

/** Reads a single-channel 8-bit PNG (trainIds, labelIds or a 0..255 map) as stored, first channel only. */
export async function readGreyPng(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  // extractChannel keeps one band: a plain raw() would expand grey to three sRGB channels.
  const { data, info } = await sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 1) return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
  return { data: out, width: info.width, height: info.height };
}
