import * as ort from 'onnxruntime-node';
import type { ModelCard } from './modelCard';
import { toHalfPrecision } from './halfPrecision';
import { defaultOpset } from './onnxProto';
import { appendPostProcessing, mapStride, MIN_POST_OPSET, POST, type DiscriminatorInput } from './postGraph';
import { statsFromLogits, type LogitPlanes } from './postprocess';
import type { GpuPrecision, GraphCandidate, ProviderName, ProviderService } from './providerService';

export interface SegmentationOutput {
  /** Model output resolution (often the input size, not always). */
  readonly height: number;
  readonly width: number;
  readonly labels: Uint8Array;
  /** Resolution of `labels`: the model's output, or the frame's when a GPU upsampled them. */
  readonly labelHeight: number;
  readonly labelWidth: number;
  /** Confidence and entropy (nats, 0..ln classes) may be sampled more coarsely: see MAP_MAX_PIXELS. */
  readonly confidence: Float32Array;
  readonly entropy: Float32Array;
  readonly mapHeight: number;
  readonly mapWidth: number;
  /** What label upsampling reads: from the graph only the pixels on class boundaries, else all. */
  readonly logits: LogitPlanes;
  /** The discriminator's input, when asked for and the discriminator is not merged into the graph. */
  readonly discInput: Float32Array | null;
  /** From the merged discriminator: P("looks synthetic") per patch (see POST.synthetic). */
  readonly synthetic: { readonly map: Float32Array; readonly height: number; readonly width: number } | null;
}

/** A discriminator to merge into its feeder's graph: its file's bytes and card. */
export interface MergedDiscriminator {
  readonly bytes: Uint8Array;
  readonly card: ModelCard;
}

/**
 * Float16 stays after a run's first frame only where it gives float32's labels at this share of
 * the frame's pixels or more (a model whose activations overflow float16 gives NaN and noise).
 * The shipped adapted model kept 99.9% (bench/README.md §3).
 */
export const MIN_HALF_AGREEMENT = 0.99;

/** Where per-pixel softmax statistics are computed. 'graph' measured faster (see bench/README.md). */
export type PostMode = 'graph' | 'js';

/**
 * One segmentation model on its execution provider. The per-pixel statistics are appended to
 * the model's own graph at load time, so ORT computes them with its vectorised kernels next
 * to the logits; models older than opset 13 get the typed-array version instead.
 */
export class SegmentationSession {
  private constructor(
    private session: ort.InferenceSession,
    readonly provider: ProviderName,
    private readonly card: ModelCard,
    private readonly mode: PostMode,
    private readonly discInput: DiscriminatorInput | null,
    private readonly stride: number,
    private readonly labelsAt: 'model' | 'frame',
    /** Whether the discriminator runs inside this session's graph. */
    readonly mergedDiscriminator: boolean,
    /** What the model computes in: float16 only on a GPU, when asked for and the rewrite loads. */
    private current: GpuPrecision,
    /** With float16: the float32 graph on the same provider, to check the first frame against. */
    private twin: ort.InferenceSession | null,
    private readonly providers: ProviderService,
  ) {}

  get precision(): GpuPrecision {
    return this.current;
  }

  static async open(
    bytes: Uint8Array,
    card: ModelCard,
    providers: ProviderService,
    label: string,
    /**
     * `labelsAt` overrides where the provider's graph puts the labels, `precision` the GPU
     * precision setting, on the CPU too, and `halfPost` halves the post-processing with the model
     * (for benchmarks and tests: the frame-sized resize then moves half the bytes).
     */
    options: {
      post?: PostMode;
      discriminatorInput?: DiscriminatorInput | null;
      labelsAt?: 'model' | 'frame';
      discriminator?: MergedDiscriminator | null;
      precision?: GpuPrecision;
      halfPost?: boolean;
    } = {},
  ): Promise<SegmentationSession> {
    const opset = defaultOpset(bytes) ?? 0;
    const mode: PostMode = options.post ?? (opset >= MIN_POST_OPSET ? 'graph' : 'js');
    const discInput = options.discriminatorInput ?? null;
    // The discriminator reads softmax at every pixel, so its feeder keeps full-resolution maps.
    const stride = discInput ? 1 : mapStride(card.inputSize.height, card.inputSize.width);
    // On a GPU the labels are upsampled in the graph too, so no tensor goes back and forth.
    let merged = false;
    const withPost = (model: Uint8Array, provider: ProviderName): Uint8Array => {
      if (mode !== 'graph') return model;
      const post = { logits: card.outputName!, classes: card.classNames.length, discriminatorInput: discInput, stride, labelsAt: options.labelsAt ?? labelsAt(provider), opset };
      const d = discInput ? options.discriminator : null;
      merged = false;
      if (d) {
        try {
          const out = appendPostProcessing(model, { ...post, discriminator: { model: d.bytes, input: d.card.inputName!, output: d.card.outputName! } });
          merged = true;
          return out;
        } catch {
          // A discriminator the merge refuses (another opset, subgraphs) runs in its own session.
        }
      }
      return appendPostProcessing(model, post);
    };
    const half = (options.precision ?? providers.gpuPrecision()) === 'fp16';
    let full: GraphCandidate = { bytes: new Uint8Array(0), precision: 'fp32' };
    // Float16 first where asked for; float32 after it, for a rewrite ORT cannot load.
    const graphs = (provider: ProviderName): Uint8Array | GraphCandidate[] => {
      full = { bytes: withPost(bytes, provider), precision: 'fp32' };
      if ((provider === 'cpu' && !options.precision) || !half) return full.bytes;
      try {
        // Both merge the discriminator alike: halving keeps the opset, all the merge checks.
        const halved = options.halfPost ? toHalfPrecision(full.bytes) : withPost(toHalfPrecision(bytes), provider);
        return [{ bytes: halved, precision: 'fp16' }, full];
      } catch (err) {
        // A graph the rewrite refuses (see toHalfPrecision) runs in float32, and the report says why.
        return [{ ...full, note: `runs fp32: no float16 rewrite (${(err as Error).message})` }];
      }
    };
    const { session, provider, precision } = await providers.createSession(graphs, label);
    const twin = precision === 'fp16' ? await providers.openOn(provider, full.bytes) : null;
    return new SegmentationSession(session, provider, card, mode, discInput, stride, options.labelsAt ?? labelsAt(provider), merged, precision, twin, providers);
  }

  /** `input` is NCHW float32 for one frame at the card's input size; `frame` is the frame's size. */
  async infer(input: Float32Array, frame: { height: number; width: number }): Promise<SegmentationOutput> {
    const out = await this.run(this.session, input, frame);
    if (!this.twin) return out;
    // The first frame in float16 is checked against float32 once; below MIN_HALF_AGREEMENT the rest run in float32.
    const twin = this.twin;
    this.twin = null;
    const full = await this.run(twin, input, frame);
    let same = 0;
    for (let i = 0; i < full.labels.length; i++) same += out.labels[i] === full.labels[i] ? 1 : 0;
    const agreement = same / full.labels.length;
    const finite = out.confidence.every(Number.isFinite) && out.entropy.every(Number.isFinite);
    if (finite && agreement >= MIN_HALF_AGREEMENT) {
      await twin.release();
      return out;
    }
    const half = this.session;
    this.session = twin;
    this.current = 'fp32';
    await half.release();
    const why = `${(agreement * 100).toFixed(1)}% of the first frame's labels${finite ? '' : ', and values that overflowed'}`;
    this.providers.notePrecision('fp32', `runs fp32: float16 gave float32's labels at ${why} (the floor is ${MIN_HALF_AGREEMENT * 100}%)`);
    return full;
  }

  private async run(session: ort.InferenceSession, input: Float32Array, frame: { height: number; width: number }): Promise<SegmentationOutput> {
    const { height: h, width: w } = this.card.inputSize;
    const feeds: Record<string, ort.Tensor> = { [this.card.inputName!]: new ort.Tensor('float32', input, [1, 3, h, w]) };
    const classes = this.card.classNames.length;
    if (this.mode === 'graph') {
      const atFrame = this.labelsAt === 'frame';
      // Not the model's own output: copying all its logits out of ORT costs more than the graph's gather.
      const fetches: string[] = [POST.labels, POST.confidence, POST.entropy, ...(atFrame ? [POST.logitDims] : [POST.edgePixels, POST.edgeLogits])];
      if (atFrame) feeds[POST.frameSize] = new ort.Tensor('int64', BigInt64Array.from([BigInt(frame.height), BigInt(frame.width)]), [2]);
      if (this.discInput) fetches.push(this.mergedDiscriminator ? POST.synthetic : POST.probs);
      const r = await session.run(feeds, fetches);
      const labels = r[POST.labels]!;
      const conf = r[POST.confidence]!;
      const dims = atFrame ? Array.from(r[POST.logitDims]!.data as BigInt64Array, Number) : labels.dims;
      return {
        height: dims[2]!,
        width: dims[3]!,
        labels: labels.data as Uint8Array,
        labelHeight: labels.dims[2]!,
        labelWidth: labels.dims[3]!,
        confidence: conf.data as Float32Array,
        entropy: r[POST.entropy]!.data as Float32Array,
        mapHeight: conf.dims[2]!,
        mapWidth: conf.dims[3]!,
        logits: atFrame
          ? { data: new Float32Array(0), pixels: new Int32Array(0) }
          : { data: r[POST.edgeLogits]!.data as Float32Array, pixels: r[POST.edgePixels]!.data as Int32Array },
        discInput: this.discInput && !this.mergedDiscriminator ? (r[POST.probs]!.data as Float32Array) : null,
        synthetic: this.mergedDiscriminator ? patchMap(r[POST.synthetic]!) : null,
      };
    }
    const r = await session.run(feeds, [this.card.outputName!]);
    const logits = r[this.card.outputName!]!;
    const oh = logits.dims[2]!;
    const ow = logits.dims[3]!;
    const data = logits.data as Float32Array;
    const stats = statsFromLogits(data, classes, oh, ow, this.stride);
    return { height: oh, width: ow, labelHeight: oh, labelWidth: ow, ...stats, logits: { data, pixels: null }, discInput: this.discInput ? discriminatorInputJs(data, classes, oh * ow, this.discInput) : null, synthetic: null };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.session.release(), this.twin?.release()]);
  }
}

function patchMap(t: ort.Tensor): { map: Float32Array; height: number; width: number } {
  return { map: t.data as Float32Array, height: t.dims[2]!, width: t.dims[3]! };
}

/** Where a provider's graph puts the labels: see PostOptions.labelsAt. */
export function labelsAt(provider: ProviderName): 'model' | 'frame' {
  return provider === 'cpu' ? 'model' : 'frame';
}

/** Softmax (or ADVENT's weighted self-information) over classes, for opsets too old for the graph version. */
function discriminatorInputJs(logits: Float32Array, classes: number, plane: number, kind: DiscriminatorInput): Float32Array {
  const out = new Float32Array(logits.length);
  const invLnC = 1 / Math.log(classes);
  for (let p = 0; p < plane; p++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[c * plane + p]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[c * plane + p]! - m);
    for (let c = 0; c < classes; c++) {
      const q = Math.exp(logits[c * plane + p]! - m) / s;
      out[c * plane + p] = kind === 'softmax' ? q : -q * Math.log(q + 1e-30) * invLnC;
    }
  }
  return out;
}

/** The domain discriminator: class maps in, a patch map of "looks like the target domain" logits out. */
export class DiscriminatorSession {
  private constructor(
    private session: ort.InferenceSession,
    readonly provider: ProviderName,
    private readonly card: ModelCard,
  ) {}

  static async open(bytes: Uint8Array, card: ModelCard, providers: ProviderService, label: string): Promise<DiscriminatorSession> {
    const { session, provider } = await providers.createSession(bytes, label);
    return new DiscriminatorSession(session, provider, card);
  }

  /**
   * P(synthetic) per patch: the discriminator was trained with source (simulator) = 0 and
   * target (dashcam) = 1, so "looks synthetic" is 1 - sigmoid(logit).
   */
  async synthetic(classMaps: Float32Array, h: number, w: number): Promise<{ map: Float32Array; height: number; width: number }> {
    const classes = this.card.classNames.length;
    const r = await this.session.run({ [this.card.inputName!]: new ort.Tensor('float32', classMaps, [1, classes, h, w]) }, [this.card.outputName!]);
    const out = r[this.card.outputName!]!;
    const logits = out.data as Float32Array;
    const map = new Float32Array(logits.length);
    for (let i = 0; i < logits.length; i++) map[i] = 1 / (1 + Math.exp(logits[i]!));
    return { map, height: out.dims[2]!, width: out.dims[3]! };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
