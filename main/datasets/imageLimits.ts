/**
 * The largest image any path of the app decodes. A header costs a few bytes, but decoding
 * allocates width x height x channels: a PNG header claiming 100000x100000 (a decompression
 * bomb, or simply not a camera frame) would ask for 30 GB before any pixel is checked. 8192 x
 * 8192 is above every dashcam and simulator frame (8K video is 7680 x 4320) and equals the
 * largest mask the IPC contract accepts. Thumbnails, label decoding and inference all refuse
 * more, so every path fails the same way with the same words.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

export function exceedsPixelLimit(width: number, height: number): boolean {
  return width * height > MAX_IMAGE_PIXELS;
}

export function tooLargeMessage(width: number, height: number): string {
  const mp = (n: number) => `${Math.round(n / 1e6)} megapixels`;
  return `${width}x${height} is ${mp(width * height)}, more than the ${mp(MAX_IMAGE_PIXELS)} this app decodes (a decompression bomb, or not a camera frame)`;
}
