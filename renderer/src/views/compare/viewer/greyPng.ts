/**
 * Decodes the one-channel 8-bit PNGs the backend serves (class masks, confidence,
 * entropy, discriminator maps) into their exact stored bytes. A canvas would do it too,
 * but may colour-manage or premultiply; class indices must come through untouched, and
 * hovers read them from this CPU copy. Handles non-interlaced 8-bit PNGs of any colour
 * type (keeping the first sample of each pixel: the grey value, palette index or red);
 * anything else goes through the browser's decoder.
 */

export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** One byte per pixel, row-major, top row first. */
  readonly data: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export async function decodeGreyPng(bytes: Uint8Array): Promise<GreyImage> {
  const header = readHeader(bytes);
  if (header.bitDepth !== 8 || header.interlaced || !(header.colourType in CHANNELS)) {
    return decodeWithBrowser(bytes);
  }
  const channels = CHANNELS[header.colourType]!;
  const raw = await inflate(header.idat);
  return { width: header.width, height: header.height, data: unfilter(raw, header.width, header.height, channels) };
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlaced: boolean;
  idat: Uint8Array[];
}

function readHeader(bytes: Uint8Array): Header {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: Header = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24]!,
    colourType: bytes[25]!,
    interlaced: bytes[28] === 1,
    idat: [],
  };
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    if (at + 12 + length > bytes.length) throw new Error('truncated PNG');
    if (type === 'IDAT') header.idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  if (header.idat.length === 0) throw new Error('PNG without image data');
  return header;
}

async function inflate(chunks: Uint8Array[]): Promise<Uint8Array> {
  // 'deflate' in the Compression Streams API is the zlib format PNG uses.
  const stream = new Blob(chunks as BlobPart[]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reverses the five PNG row filters, keeping one sample per pixel. */
export function unfilter(raw: Uint8Array, width: number, height: number, channels: number): Uint8Array {
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('truncated PNG image data');
  const out = new Uint8Array(width * height);
  let previous = new Uint8Array(stride);
  let current = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const rowStart = y * (stride + 1);
    const filter = raw[rowStart]!;
    const row = raw.subarray(rowStart + 1, rowStart + 1 + stride);
    switch (filter) {
      case 0:
        current.set(row);
        break;
      case 1:
        for (let i = 0; i < stride; i++) current[i] = row[i]! + (i >= channels ? current[i - channels]! : 0);
        break;
      case 2:
        for (let i = 0; i < stride; i++) current[i] = row[i]! + previous[i]!;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= channels ? current[i - channels]! : 0;
          current[i] = row[i]! + ((left + previous[i]!) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const left = i >= channels ? current[i - channels]! : 0;
          const upLeft = i >= channels ? previous[i - channels]! : 0;
          current[i] = row[i]! + paeth(left, previous[i]!, upLeft);
        }
        break;
      default:
        throw new Error(`PNG row ${y} has unknown filter ${filter}`);
    }
    const base = y * width;
    if (channels === 1) out.set(current, base);
    else for (let x = 0; x < width; x++) out[base + x] = current[x * channels]!;
    [previous, current] = [current, previous];
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

async function decodeWithBrowser(bytes: Uint8Array): Promise<GreyImage> {
  const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const data = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4]!;
  bitmap.close();
  return { width: canvas.width, height: canvas.height, data };
}
