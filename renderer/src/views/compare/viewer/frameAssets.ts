import { mediaUrl, type CompareFrameDetail } from '../../../../../common/contract';
import { decodeGreyPng, type GreyImage } from './greyPng';
import type { PaneLayers } from './PaneViewer';

/** Decoded media kept in memory; a 1024x512 frame with every layer costs about 6 MB. */
const BUDGET_BYTES = 640 * 1024 * 1024;

export interface ModelPair {
  readonly a: number | null;
  readonly b: number | null;
}

interface Entry<T> {
  promise: Promise<T>;
  value?: T;
  bytes: number;
}

/**
 * Frame details and decoded layers (image bitmaps and CPU copies of the one-channel
 * maps), fetched once and kept in least-recently-used order within a byte budget. A
 * frame whose layers are all here is assembled synchronously, so stepping onto it costs
 * one texture upload and one draw, and hovers read pixels without a GPU readback.
 */
export class FrameAssets {
  private readonly details = new Map<number, Entry<CompareFrameDetail>>();
  private readonly media = new Map<string, Entry<ImageBitmap | GreyImage | null>>();
  private bytes = 0;

  constructor(private readonly fetchDetail: (frameId: number) => Promise<CompareFrameDetail>) {}

  detail(frameId: number): Promise<CompareFrameDetail> {
    let entry = this.details.get(frameId);
    if (!entry) {
      const fresh: Entry<CompareFrameDetail> = { promise: this.fetchDetail(frameId), bytes: 0 };
      fresh.promise.then(
        (value) => (fresh.value = value),
        () => this.details.delete(frameId),
      );
      this.details.set(frameId, (entry = fresh));
    }
    return entry.promise;
  }

  peekDetail(frameId: number): CompareFrameDetail | undefined {
    return this.details.get(frameId)?.value;
  }

  /** The frame's layers: synchronously when all are cached, else once they have loaded. */
  layers(frameId: number, models: ModelPair): PaneLayers | Promise<PaneLayers> {
    const detail = this.peekDetail(frameId);
    if (detail) {
      const ready = this.assemble(detail, models, true);
      if (ready) return ready;
    }
    return this.load(frameId, models);
  }

  /** Whether layers() would answer synchronously. */
  ready(frameId: number, models: ModelPair): boolean {
    const detail = this.peekDetail(frameId);
    return detail !== undefined && this.assemble(detail, models, true) !== null;
  }

  /** Starts loading frames the user is likely to step onto next; `loaded` gets each one's layers. */
  prefetch(frameIds: readonly number[], models: ModelPair, loaded?: (layers: PaneLayers) => void): void {
    for (const id of frameIds) void Promise.resolve(this.layers(id, models)).then(loaded, () => {});
  }

  clear(): void {
    this.details.clear();
    this.media.clear();
    this.bytes = 0;
  }

  private async load(frameId: number, models: ModelPair): Promise<PaneLayers> {
    const detail = await this.detail(frameId);
    await Promise.all(this.urls(detail, models).map(([url, kind]) => this.fetchMedia(url, kind)));
    return this.assemble(detail, models, false)!;
  }

  private assemble(detail: CompareFrameDetail, models: ModelPair, onlyIfCached: boolean): PaneLayers | null {
    const frameId = detail.frame.id;
    const urls = layerUrls(detail, models);
    const image = this.cached(urls.image) as ImageBitmap | null | undefined;
    if (!image) {
      if (onlyIfCached) return null;
      throw new Error(`frame ${frameId}: the image did not load`);
    }
    const layers: Partial<Record<GreyLayer, GreyImage | null>> = {};
    for (const name of GREY_LAYERS) {
      const url = urls[name];
      const value = url === null ? null : (this.cached(url) as GreyImage | null | undefined);
      if (value === undefined && onlyIfCached) return null;
      layers[name] = value ?? null;
    }
    return { frameId, image, ...(layers as Record<GreyLayer, GreyImage | null>) };
  }

  private urls(detail: CompareFrameDetail, models: ModelPair): [string, 'image' | 'grey'][] {
    const urls = layerUrls(detail, models);
    const list: [string, 'image' | 'grey'][] = [[urls.image, 'image']];
    for (const name of GREY_LAYERS) {
      const url = urls[name];
      if (url !== null) list.push([url, 'grey']);
    }
    return list;
  }

  /** undefined: not loaded (yet); null: loaded, and the backend has no such layer. */
  private cached(url: string): ImageBitmap | GreyImage | null | undefined {
    const entry = this.media.get(url);
    if (!entry || !('value' in entry)) return undefined;
    // Re-inserting keeps the map in least-recently-used order.
    this.media.delete(url);
    this.media.set(url, entry);
    return entry.value;
  }

  private fetchMedia(url: string, kind: 'image' | 'grey'): Promise<ImageBitmap | GreyImage | null> {
    const existing = this.media.get(url);
    if (existing) return existing.promise;
    const entry: Entry<ImageBitmap | GreyImage | null> = {
      bytes: 0,
      promise: (async () => {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (!response.ok) {
          // The image is required; a missing optional map just leaves its mode empty.
          if (kind === 'image') throw new Error(`${url}: ${response.status} ${await response.text()}`);
          return null;
        }
        if (kind === 'image') {
          return createImageBitmap(await response.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
        }
        return decodeGreyPng(new Uint8Array(await response.arrayBuffer()));
      })(),
    };
    this.media.set(url, entry);
    entry.promise.then(
      (value) => {
        if (this.media.get(url) !== entry) return;
        entry.value = value;
        entry.bytes = value === null ? 0 : value instanceof ImageBitmap ? value.width * value.height * 4 : value.data.length;
        this.bytes += entry.bytes;
        this.evict();
      },
      () => {
        if (this.media.get(url) === entry) this.media.delete(url);
      },
    );
    return entry.promise;
  }

  private evict(): void {
    for (const [url, entry] of this.media) {
      if (this.bytes <= BUDGET_BYTES) break;
      if (!('value' in entry)) continue;
      this.media.delete(url);
      this.bytes -= entry.bytes;
    }
  }
}

const GREY_LAYERS = ['maskA', 'maskB', 'confidenceA', 'confidenceB', 'entropyA', 'entropyB', 'label', 'synthetic'] as const;
type GreyLayer = (typeof GREY_LAYERS)[number];

/** Which media URL holds each layer of a frame, null where the backend has none. */
function layerUrls(detail: CompareFrameDetail, models: ModelPair): { image: string } & Record<GreyLayer, string | null> {
  const frameId = detail.frame.id;
  const prediction = (id: number | null) =>
    id === null ? null : (detail.models.find((m) => m.id === id)?.prediction ?? null);
  const a = prediction(models.a);
  const b = prediction(models.b);
  return {
    image: mediaUrl.frameImage(frameId),
    maskA: a ? mediaUrl.predictionMask(frameId, models.a!) : null,
    maskB: b ? mediaUrl.predictionMask(frameId, models.b!) : null,
    confidenceA: a?.hasConfidence ? mediaUrl.predictionConfidence(frameId, models.a!) : null,
    confidenceB: b?.hasConfidence ? mediaUrl.predictionConfidence(frameId, models.b!) : null,
    entropyA: a?.hasEntropy ? mediaUrl.predictionEntropy(frameId, models.a!) : null,
    entropyB: b?.hasEntropy ? mediaUrl.predictionEntropy(frameId, models.b!) : null,
    label: detail.hasLabel ? mediaUrl.frameLabel(frameId) : null,
    // The discriminator map exists once the discriminator has scored the frame.
    synthetic: detail.frame.syntheticScore !== null ? mediaUrl.frameSynthetic(frameId) : null,
  };
}
