import { DataType, extendModel, type NodeSpec, type TensorSpec, type ValueInfo } from './onnxProto';

/** Names of the outputs appended to a segmentation model; the prefix keeps them clear of the model's own. */
export const POST = {
  labels: 's2r_labels',
  confidence: 's2r_confidence',
  entropy: 's2r_entropy',
  probs: 's2r_probs',
} as const;

export type DiscriminatorInput = 'softmax' | 'self_information';

export interface PostOptions {
  readonly logits: string;
  readonly opset: number;
  readonly classes: number;
  /** Also output the discriminator's input computed from the softmax, at the model's resolution. */
  readonly discriminatorInput?: DiscriminatorInput | null;
}

/** Lowest opset whose ReduceSum takes axes as an input and whose Softmax works along one axis. */
export const MIN_POST_OPSET = 13;

/**
 * Appends per-pixel post-processing to a segmentation model, at its output resolution:
 * trainId labels (uint8), max softmax and entropy in nats, and optionally the discriminator's
 * input. Entropy uses H = log S - sum(p * d) with d = z - max z and S = sum exp(d), which stays
 * finite where a probability underflows to 0 (p * log p would give NaN there).
 */
export function appendPostProcessing(model: Uint8Array, o: PostOptions): Uint8Array {
  const z = o.logits;
  const axes: TensorSpec = { name: 's2r_axes1', type: DataType.INT64, dims: [1], values: [1] };
  // ReduceMax moved its axes from an attribute to an input at opset 18.
  const reduceMax = (x: string, y: string): NodeSpec =>
    o.opset >= 18
      ? { op: 'ReduceMax', inputs: [x, axes.name], outputs: [y], attrs: { keepdims: 1 } }
      : { op: 'ReduceMax', inputs: [x], outputs: [y], attrs: { axes: [1], keepdims: 1 } };
  const nodes: NodeSpec[] = [
    { op: 'ArgMax', inputs: [z], outputs: ['s2r_argmax'], attrs: { axis: 1, keepdims: 1 } },
    { op: 'Cast', inputs: ['s2r_argmax'], outputs: [POST.labels], attrs: { to: DataType.UINT8 } },
    reduceMax(z, 's2r_zmax'),
    { op: 'Sub', inputs: [z, 's2r_zmax'], outputs: ['s2r_d'] },
    { op: 'Exp', inputs: ['s2r_d'], outputs: ['s2r_e'] },
    { op: 'ReduceSum', inputs: ['s2r_e', axes.name], outputs: ['s2r_s'], attrs: { keepdims: 1 } },
    { op: 'Reciprocal', inputs: ['s2r_s'], outputs: [POST.confidence] },
    // sum(p * d) = sum(e * d) / S: one full-size product instead of two (p itself is not needed).
    { op: 'Mul', inputs: ['s2r_e', 's2r_d'], outputs: ['s2r_ed'] },
    { op: 'ReduceSum', inputs: ['s2r_ed', axes.name], outputs: ['s2r_sed'], attrs: { keepdims: 1 } },
    { op: 'Mul', inputs: ['s2r_sed', POST.confidence], outputs: ['s2r_spd'] },
    { op: 'Log', inputs: ['s2r_s'], outputs: ['s2r_logs'] },
    { op: 'Sub', inputs: ['s2r_logs', 's2r_spd'], outputs: [POST.entropy] },
  ];
  const initializers: TensorSpec[] = [axes];
  const map = (name: string, type: ValueInfo['type'] = DataType.FLOAT, c: number | string = 1): ValueInfo => ({
    name,
    type,
    shape: ['s2r_n', c, 's2r_h', 's2r_w'],
  });
  const outputs: ValueInfo[] = [map(POST.labels, DataType.UINT8), map(POST.confidence), map(POST.entropy)];
  if (o.discriminatorInput) nodes.push({ op: 'Mul', inputs: ['s2r_e', POST.confidence], outputs: ['s2r_p'] });
  if (o.discriminatorInput === 'softmax') {
    nodes.push({ op: 'Identity', inputs: ['s2r_p'], outputs: [POST.probs] });
    outputs.push(map(POST.probs, DataType.FLOAT, o.classes));
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
    outputs.push(map(POST.probs, DataType.FLOAT, o.classes));
  }
  return extendModel(model, { nodes, outputs, initializers });
}
