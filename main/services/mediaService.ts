import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { AppError } from '../../common/errors';
import { MAX_IMAGE_PIXELS } from '../datasets/imageLimits';
import { resolveInside } from './safePath';
import { writeFileAtomicSync } from './safeWrite';
import { encodeGreyPng } from './greyPng';

export interface MediaResponse {
  readonly body: Buffer;
  readonly contentType: string;
}

/** What the media service needs from the open project. */
export interface MediaSource {
  datasetRoot(datasetId: number): string;
  framePath(frameId: number, kind: 'image' | 'label'): string;
  labelTrainIds(frameId: number): Promise<{ data: Uint8Array; width: number; height: number }>;
  cacheDir(): string;
  /** Cached inference outputs (absolute paths inside the cache dir). */
  predictionFile(frameId: number, modelId: number, kind: PredictionKind): string;
  syntheticFile(frameId: number): string;
}

const PREDICTION_KINDS = ['mask', 'confidence', 'entropy'] as const;
type PredictionKind = (typeof PREDICTION_KINDS)[number];

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};
const THUMB_WIDTH = 192;

/**
 * Serves frames, labels and thumbnails to the renderer for both transports (the custom
 * protocol and the browser-mode server). Only files inside the project's registered
 * dataset folders or its cache can be reached.
 */
export class MediaService {
  constructor(private readonly source: () => MediaSource) {}

  /** `route` is the URL path after `media/`, still percent-encoded. */
  async get(route: string): Promise<MediaResponse> {
    const parts = route.split('/');
    const [kind, idText, what, ...rest] = parts;
    const id = parseId(idText);
    const src = this.source();
    if (kind === 'frame' && what === 'image' && rest.length === 0) return fileResponse(src.framePath(id, 'image'));
    if (kind === 'frame' && what === 'label' && rest.length === 0) return this.label(src, id);
    if (kind === 'frame' && what === 'thumb' && rest.length === 0) return this.thumb(src, id);
    if (kind === 'frame' && what === 'synthetic' && rest.length === 0) return fileResponse(src.syntheticFile(id));
    if (kind === 'prediction' && rest.length === 1 && PREDICTION_KINDS.includes(rest[0] as PredictionKind)) {
      return fileResponse(src.predictionFile(id, parseId(what), rest[0] as PredictionKind));
    }
    if (kind === 'dataset' && what === 'file' && rest.length > 0) {
      const rel = rest.map(decodeSegment).join('/');
      return fileResponse(resolveInside(src.datasetRoot(id), rel));
    }
    throw new AppError('NOT_FOUND', `media/${route.slice(0, 200)}: no such media`);
  }

  /** Labels go out as 8-bit trainId PNGs whatever their format on disk: the shader colours them. */
  private async label(src: MediaSource, frameId: number): Promise<MediaResponse> {
    const { data, width, height } = await src.labelTrainIds(frameId);
    return { body: await encodeGreyPng(data, width, height, 1), contentType: 'image/png' };
  }

  private async thumb(src: MediaSource, frameId: number): Promise<MediaResponse> {
    const file = join(src.cacheDir(), 'thumbs', `${frameId}.jpg`);
    if (existsSync(file)) return { body: readFileSync(file), contentType: 'image/jpeg' };
    const image = src.framePath(frameId, 'image');
    let body: Buffer;
    try {
      body = await sharp(image, { limitInputPixels: MAX_IMAGE_PIXELS }).resize({ width: THUMB_WIDTH }).jpeg({ quality: 80 }).toBuffer();
    } catch (err) {
      throw new AppError('BAD_DATASET', `${image}: no thumbnail, the image does not decode (${(err as Error).message})`);
    }
    // The cache only saves work: on a full or read-only disk the thumbnail is served uncached.
    // (A plain write used to leave a cut-off JPEG there, served as the thumbnail ever after.)
    try {
      writeFileAtomicSync(file, body);
    } catch {
      // nothing cached; the next request decodes again
    }
    return { body, contentType: 'image/jpeg' };
  }
}

function fileResponse(path: string): MediaResponse {
  const type = CONTENT_TYPES[extname(path).toLowerCase()];
  if (!type) throw new AppError('FORBIDDEN_PATH', `${path}: not an image file`);
  return { body: readFileSync(path), contentType: type };
}

function parseId(text: string | undefined): number {
  if (!text || !/^\d{1,15}$/.test(text)) throw new AppError('NOT_FOUND', `media: bad id ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new AppError('FORBIDDEN_PATH', `media: malformed escape in ${JSON.stringify(segment.slice(0, 100))}`);
  }
  // An encoded slash would let one segment name a path of several.
  if (decoded.includes('/') || decoded.includes('\\')) {
    throw new AppError('FORBIDDEN_PATH', `media: ${JSON.stringify(segment.slice(0, 100))} encodes a path separator`);
  }
  return decoded;
}
