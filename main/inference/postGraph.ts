import { DataType, extendModel, importGraph, type NodeSpec, type TensorSpec, type ValueInfo } from './onnxProto';

/** Names of the outputs appended to a segmentation model; the prefix keeps them clear of the model's own. */
export const POST = {
  labels: 's2r_labels',
  confidence: 's2r_confidence',
  entropy: 's2r_entropy',
  probs: 's2r_probs',
  /** Flat pixel indices (int32, K) where label upsampling may need logits, and the logits there (1 x C x K). */
  edgePixels: 's2r_edge_pixels',
  edgeLogits: 's2r_edge_logits',
  /** With labels at frame resolution: the graph input naming the frame's height and width (int64, 2). */
  frameSize: 's2r_frame_size',
  /** With a discriminator merged in: P("looks synthetic") per patch of its output, 1 - sigmoid(logit). */
  synthetic: 's2r_synthetic',
  /** With labels at frame resolution: the logits' own N, C, H, W (int64, 4), the maps' frame of reference. */
  logitDims: 's2r_logit_dims',
} as const;

export type DiscriminatorInput = 'softmax' | 'self_information';

export interface PostOptions {
  readonly logits: string;
  readonly classes: number;
  /** Also output the discriminator's input computed from the softmax, at the model's resolution. */
  readonly discriminatorInput?: DiscriminatorInput | null;
  /** Confidence and entropy at every stride-th pixel in each direction (labels are always full). */
  readonly stride?: number;
  /**
   * 'model' (default): labels at the logits' resolution, plus the logits on class boundaries for
   * label upsampling in JS (fastest on CPU). 'frame': the graph resizes the logits to the frame
   * (input POST.frameSize) and takes the argmax there, so a GPU provider never hands intermediate
   * tensors back to the CPU (the 'model' graph's uint8/int64 steps and NonZero have no WebGPU
   * kernels: six copies between devices a frame).
   */
  readonly labelsAt?: 'model' | 'frame';
  /**
   * The discriminator itself, merged into the graph after its input (needs discriminatorInput):
   * one session, and the C x H x W input never leaves ORT (copied out and back in otherwise,
   * across devices on a GPU). Same default opset as the model, or importGraph refuses.
   */
  readonly discriminator?: { readonly model: Uint8Array; readonly input: string; readonly output: string } | null;
  /** The model's default-domain opset (some ops changed form), MIN_POST_OPSET if not given. */
  readonly opset?: number;
}

/** Floor of z - max z in the statistics (exp of it is 0 in float32): see appendPostProcessing. */
export const D_FLOOR = -1e30;

/** Lowest opset whose ReduceSum takes axes as an input and whose Slice takes steps. */
export const MIN_POST_OPSET = 13;

/**
 * Confidence and entropy maps hold at most this many pixels (our models' 128 x 256 output):
 * larger outputs are sampled every `mapStride` pixels. The statistics cost ten passes over all
 * C x H x W logits, which at 256 x 512 measured as long as the model itself; the maps are for
 * overlays and sorting, while the labels (and so the masks) stay exact at every pixel.
 */
export const MAP_MAX_PIXELS = 128 * 256;

export function mapStride(height: number, width: number): number {
  return Math.max(1, Math.ceil(Math.sqrt((height * width) / MAP_MAX_PIXELS)));
}

/** Size of a map sampled every `stride` pixels from `length` (pixels 0, stride, 2 stride, ...). */
export function strided(length: number, stride: number): number {
  return Math.ceil(length / stride);
}

/**
 * Appends per-pixel post-processing to a segmentation model: trainId labels (uint8) at its
 * output resolution, max softmax and entropy in nats (possibly strided, see MAP_MAX_PIXELS), and
 * optionally the discriminator's input. Entropy uses H = log S - sum(e * d) / S with d = z - max z,
 * e = exp(d), S = sum e, which stays finite where a probability underflows to 0 (p log p would
 * give NaN there).
 *
 * TopK with k = 1 gives the labels and the max logit from one pass over the C x H x W logits,
 * where ArgMax and ReduceMax each made one (reductions over the channel axis are slow in ORT):
 * 3-4 CPU-ms less per 256x512 frame, same bits. Ties go to the lower class, as with ArgMax
 * (the ONNX spec for both).
 */
export function appendPostProcessing(model: Uint8Array, o: PostOptions): Uint8Array {
  const stride = o.stride ?? 1;
  const axes: TensorSpec = { name: 's2r_axes1', type: DataType.INT64, dims: [1], values: [1] };
  const k: TensorSpec = { name: 's2r_k1', type: DataType.INT64, dims: [1], values: [1] };
  const initializers: TensorSpec[] = [axes, k];
  const atFrame = o.labelsAt === 'frame';
  const nodes: NodeSpec[] = [{ op: 'TopK', inputs: [o.logits, k.name], outputs: ['s2r_top', 's2r_argmax'], attrs: { axis: 1, largest: 1, sorted: 1 } }];
  if (!atFrame) nodes.push({ op: 'Cast', inputs: ['s2r_argmax'], outputs: [POST.labels], attrs: { to: DataType.UINT8 } });
  let z = o.logits;
  let zmax = 's2r_top';
  if (stride > 1) {
    initializers.push(
      { name: 's2r_sl_starts', type: DataType.INT64, dims: [2], values: [0, 0] },
      { name: 's2r_sl_ends', type: DataType.INT64, dims: [2], values: [2 ** 31 - 1, 2 ** 31 - 1] },
      { name: 's2r_sl_axes', type: DataType.INT64, dims: [2], values: [2, 3] },
      { name: 's2r_sl_steps', type: DataType.INT64, dims: [2], values: [stride, stride] },
    );
    const slice = (x: string, y: string): NodeSpec => ({ op: 'Slice', inputs: [x, 's2r_sl_starts', 's2r_sl_ends', 's2r_sl_axes', 's2r_sl_steps'], outputs: [y] });
    nodes.push(slice(o.logits, 's2r_zs'), slice('s2r_top', 's2r_zmax'));
    z = 's2r_zs';
    zmax = 's2r_zmax';
  }
  // d = z - max z, floored: a logit of -inf (the log of a probability that rounded to 0) would make
  // e * d = 0 * -inf = NaN; floored, its term is 0, the limit of p log p.
  initializers.push({ name: 's2r_d_floor', type: DataType.FLOAT, dims: [], values: [D_FLOOR] });
  nodes.push(
    { op: 'Sub', inputs: [z, zmax], outputs: ['s2r_d_raw'] },
    { op: 'Max', inputs: ['s2r_d_raw', 's2r_d_floor'], outputs: ['s2r_d'] },
    { op: 'Exp', inputs: ['s2r_d'], outputs: ['s2r_e'] },
    { op: 'ReduceSum', inputs: ['s2r_e', axes.name], outputs: ['s2r_s'], attrs: { keepdims: 1 } },
    { op: 'Reciprocal', inputs: ['s2r_s'], outputs: [POST.confidence] },
    // sum(p * d) = sum(e * d) / S: one full-size product instead of two (p itself is not needed).
    { op: 'Mul', inputs: ['s2r_e', 's2r_d'], outputs: ['s2r_ed'] },
    { op: 'ReduceSum', inputs: ['s2r_ed', axes.name], outputs: ['s2r_sed'], attrs: { keepdims: 1 } },
    { op: 'Mul', inputs: ['s2r_sed', POST.confidence], outputs: ['s2r_spd'] },
    { op: 'Log', inputs: ['s2r_s'], outputs: ['s2r_logs'] },
    { op: 'Sub', inputs: ['s2r_logs', 's2r_spd'], outputs: [POST.entropy] },
  );
  const map = (name: string, type: ValueInfo['type'] = DataType.FLOAT, c: number | string = 1, sub = ''): ValueInfo => ({
    name,
    type,
    shape: ['s2r_n', c, `s2r_h${sub}`, `s2r_w${sub}`],
  });
  const outputs: ValueInfo[] = [map(POST.labels, DataType.UINT8, 1, atFrame ? 'f' : ''), map(POST.confidence, DataType.FLOAT, 1, 's'), map(POST.entropy, DataType.FLOAT, 1, 's')];
  if (o.discriminatorInput) {
    if (stride > 1) throw new Error('the discriminator input needs full-resolution statistics (stride 1)');
    nodes.push({ op: 'Mul', inputs: ['s2r_e', POST.confidence], outputs: ['s2r_p'] });
    outputs.push(map(POST.probs, DataType.FLOAT, o.classes));
  }
  if (o.discriminatorInput === 'softmax') {
    nodes.push({ op: 'Identity', inputs: ['s2r_p'], outputs: [POST.probs] });
  } else if (o.discriminatorInput === 'self_information') {
    // ADVENT's weighted self-information, -p log2(p + 1e-30) / log2(C) = -p ln(p + 1e-30) / ln(C).
    initializers.push(
      { name: 's2r_tiny', type: DataType.FLOAT, dims: [], values: [1e-30] },
      { name: 's2r_negInvLnC', type: DataType.FLOAT, dims: [], values: [-1 / Math.log(o.classes)] },
    );
    nodes.push(
      { op: 'Add', inputs: ['s2r_p', 's2r_tiny'], outputs: ['s2r_pt'] },
      { op: 'Log', inputs: ['s2r_pt'], outputs: ['s2r_lp'] },
      { op: 'Mul', inputs: ['s2r_p', 's2r_lp'], outputs: ['s2r_plp'] },
      { op: 'Mul', inputs: ['s2r_plp', 's2r_negInvLnC'], outputs: [POST.probs] },
    );
  }
  const labels = atFrame ? frameLabels(o.logits, o.classes, o.opset ?? MIN_POST_OPSET) : boundaryLogits(o.logits, o.classes);
  nodes.push(...labels.nodes);
  initializers.push(...labels.initializers);
  outputs.push(...labels.outputs);
  const extended = extendModel(model, { nodes, outputs, initializers, inputs: atFrame ? [{ name: POST.frameSize, type: DataType.INT64, shape: [2] }] : [] });
  if (!o.discriminator) return extended;
  if (!o.discriminatorInput) throw new Error('a merged discriminator needs its input (discriminatorInput)');
  const d = o.discriminator;
  const merged = importGraph(extended, d.model, { prefix: 's2r_disc_', inputs: { [d.input]: POST.probs }, outputs: { [d.output]: 's2r_disc_z' } });
  return extendModel(merged, {
    nodes: [
      { op: 'Neg', inputs: ['s2r_disc_z'], outputs: ['s2r_disc_negz'] },
      { op: 'Sigmoid', inputs: ['s2r_disc_negz'], outputs: [POST.synthetic] },
    ],
    outputs: [{ name: POST.synthetic, type: DataType.FLOAT, shape: ['s2r_n', 1, 's2r_dh', 's2r_dw'] }],
  });
}

type GraphPart = { nodes: NodeSpec[]; initializers: TensorSpec[]; outputs: ValueInfo[] };

/**
 * Labels at the frame's resolution: the logits resized bilinearly (half-pixel centres, edges
 * clamped: what upsampleLabels computes), then the argmax. C x frame floats that a CPU could not
 * afford (measured 104 ms a frame at 1024 x 512), a GPU makes in a few passes. The argmax is
 * built from float ops: ArgMax gives int64, which WebGPU cannot cast, so it went to the CPU and
 * back (two copies between devices). With d = z - max <= 0, floor(d) + 1 is 1 where d = 0 and
 * at most 0 elsewhere, so the largest of (floor(d) + 1) * (C - c) picks the first class reaching
 * the max: ArgMax's tie rule. (Equal and a Cast from bool failed on WebGPU at 4K frames, 158M
 * elements; Sign has no WebGPU kernel.)
 */
function frameLabels(logits: string, classes: number, opset: number): GraphPart {
  const initializers: TensorSpec[] = [
    { name: 's2r_f_0', type: DataType.INT64, dims: [1], values: [0] },
    { name: 's2r_f_2', type: DataType.INT64, dims: [1], values: [2] },
    { name: 's2r_f_w', type: DataType.FLOAT, dims: [1, classes, 1, 1], values: Array.from({ length: classes }, (_, c) => classes - c) },
    { name: 's2r_f_c', type: DataType.FLOAT, dims: [], values: [classes] },
    { name: 's2r_f_one', type: DataType.FLOAT, dims: [], values: [1] },
  ];
  const nodes: NodeSpec[] = [
    { op: 'Shape', inputs: [logits], outputs: [POST.logitDims] },
    { op: 'Slice', inputs: [POST.logitDims, 's2r_f_0', 's2r_f_2'], outputs: ['s2r_f_nc'] },
    { op: 'Concat', inputs: ['s2r_f_nc', POST.frameSize], outputs: ['s2r_f_sizes'], attrs: { axis: 0 } },
    { op: 'Resize', inputs: [logits, '', '', 's2r_f_sizes'], outputs: ['s2r_f_z'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } },
    reduceMaxOverClasses('s2r_f_z', 's2r_f_max', opset),
    { op: 'Sub', inputs: ['s2r_f_z', 's2r_f_max'], outputs: ['s2r_f_d'] },
    { op: 'Floor', inputs: ['s2r_f_d'], outputs: ['s2r_f_floor'] },
    { op: 'Add', inputs: ['s2r_f_floor', 's2r_f_one'], outputs: ['s2r_f_eqf'] },
    { op: 'Mul', inputs: ['s2r_f_eqf', 's2r_f_w'], outputs: ['s2r_f_ew'] },
    reduceMaxOverClasses('s2r_f_ew', 's2r_f_top', opset),
    { op: 'Sub', inputs: ['s2r_f_c', 's2r_f_top'], outputs: ['s2r_f_label'] },
    { op: 'Cast', inputs: ['s2r_f_label'], outputs: [POST.labels], attrs: { to: DataType.UINT8 } },
  ];
  if (opset >= 18) initializers.push({ name: 's2r_f_axes', type: DataType.INT64, dims: [1], values: [1] });
  return { nodes, initializers, outputs: [{ name: POST.logitDims, type: DataType.INT64, shape: [4] }] };
}

/** ReduceMax over axis 1: opset 18 moved its axes from an attribute to an input. */
function reduceMaxOverClasses(x: string, y: string, opset: number): NodeSpec {
  return opset >= 18
    ? { op: 'ReduceMax', inputs: [x, 's2r_f_axes'], outputs: [y], attrs: { keepdims: 1 } }
    : { op: 'ReduceMax', inputs: [x], outputs: [y], attrs: { axes: [1], keepdims: 1 } };
}

/**
 * The logits label upsampling reads (upsampleLabels), and no more: it interpolates only in cells
 * whose corner labels differ, so only pixels that are a corner of a 2 x 2 block holding two labels
 * are gathered (a few percent of them on real scenes), instead of copying all C x H x W floats out
 * of ORT each frame (10 MB at 256 x 512, measured 4-10 CPU-ms with its allocation). Labels are
 * padded by repeating the last row and column, so a cell clamped to the image's edge (its two rows
 * or columns the same) is a block too, and 1-pixel-high or -wide outputs work.
 */
function boundaryLogits(logits: string, classes: number): GraphPart {
  const last = 2 ** 31 - 1;
  const ints = (name: string, values: number[]): TensorSpec => ({ name, type: DataType.INT64, dims: [values.length], values });
  const initializers = [
    ints('s2r_b_pads', [0, 0, 0, 0, 0, 0, 1, 1]),
    ints('s2r_b_axes', [2, 3]),
    ints('s2r_b_0', [0, 0]),
    ints('s2r_b_01', [0, 1]),
    ints('s2r_b_10', [1, 0]),
    ints('s2r_b_1', [1, 1]),
    ints('s2r_b_end', [-1, -1]),
    ints('s2r_b_end01', [-1, last]),
    ints('s2r_b_end10', [last, -1]),
    ints('s2r_b_endAll', [last, last]),
    ints('s2r_b_flat', [-1]),
    ints('s2r_b_planes', [0, 0, -1]),
  ];
  // The four corners of the block whose top-left pixel is (y, x), each H x W.
  const corner = (start: string, end: string, y: string): NodeSpec => ({ op: 'Slice', inputs: ['s2r_b_padded', start, end, 's2r_b_axes'], outputs: [y] });
  const nodes: NodeSpec[] = [
    { op: 'Pad', inputs: ['s2r_argmax', 's2r_b_pads'], outputs: ['s2r_b_padded'], attrs: { mode: 'edge' } },
    corner('s2r_b_0', 's2r_b_end', 's2r_b_tl'),
    corner('s2r_b_01', 's2r_b_end01', 's2r_b_tr'),
    corner('s2r_b_10', 's2r_b_end10', 's2r_b_bl'),
    corner('s2r_b_1', 's2r_b_endAll', 's2r_b_br'),
    { op: 'Equal', inputs: ['s2r_b_tl', 's2r_b_tr'], outputs: ['s2r_b_eq1'] },
    { op: 'Equal', inputs: ['s2r_b_tl', 's2r_b_bl'], outputs: ['s2r_b_eq2'] },
    { op: 'Equal', inputs: ['s2r_b_tl', 's2r_b_br'], outputs: ['s2r_b_eq3'] },
    { op: 'And', inputs: ['s2r_b_eq1', 's2r_b_eq2'], outputs: ['s2r_b_eq12'] },
    { op: 'And', inputs: ['s2r_b_eq12', 's2r_b_eq3'], outputs: ['s2r_b_same'] },
    { op: 'Not', inputs: ['s2r_b_same'], outputs: ['s2r_b_mixed'] },
    { op: 'Cast', inputs: ['s2r_b_mixed'], outputs: ['s2r_b_mixedf'], attrs: { to: DataType.FLOAT } },
    // A pixel is a corner of the blocks starting at (y-1..y, x-1..x): a 2 x 2 max, padded before.
    { op: 'MaxPool', inputs: ['s2r_b_mixedf'], outputs: ['s2r_b_near'], attrs: { kernel_shape: [2, 2], pads: [1, 1, 0, 0], strides: [1, 1] } },
    { op: 'Reshape', inputs: ['s2r_b_near', 's2r_b_flat'], outputs: ['s2r_b_nearflat'] },
    { op: 'NonZero', inputs: ['s2r_b_nearflat'], outputs: ['s2r_b_nz'] },
    { op: 'Reshape', inputs: ['s2r_b_nz', 's2r_b_flat'], outputs: ['s2r_b_idx'] },
    { op: 'Cast', inputs: ['s2r_b_idx'], outputs: [POST.edgePixels], attrs: { to: DataType.INT32 } },
    { op: 'Reshape', inputs: [logits, 's2r_b_planes'], outputs: ['s2r_b_z'] },
    { op: 'Gather', inputs: ['s2r_b_z', 's2r_b_idx'], outputs: [POST.edgeLogits], attrs: { axis: 2 } },
  ];
  const outputs: ValueInfo[] = [
    { name: POST.edgePixels, type: DataType.INT32, shape: ['s2r_k'] },
    { name: POST.edgeLogits, type: DataType.FLOAT, shape: ['s2r_n', classes, 's2r_k'] },
  ];
  return { nodes, initializers, outputs };
}
