import { DataType, fields, Writer, type Field } from './onnxProto';

/**
 * A float32 model rewritten to compute in float16, for GPU providers (WebGPU's shader-f16, CUDA's
 * tensor cores): weights and float constants become float16, a Cast to float16 follows each float
 * input and a Cast back to float32 precedes each float output, so callers and the graph
 * appended after it (postGraph) still see float32 (-inf saturated: see below). Like the other rewrites here it copies every
 * field it has no reason to touch.
 *
 * What must stay float32 does: Resize's and Upsample's scales, and shape arithmetic, i.e.
 * every float computed from a Cast to float32 (exporters cast shapes to float to scale them,
 * and float16 has integers exact only to 2048). Refuses (throws) what it cannot convert safely:
 * other op domains, subgraphs, external or sparse weights, ops that make floats from a dtype
 * attribute, and Constant's value_float(s). A graph that mixes the two kinds in one op is not
 * refused here: ORT rejects it at load, and the caller then runs the float32 model.
 */
export function toHalfPrecision(model: Uint8Array): Uint8Array {
  // Protobuf merges repeated graph fields (onnxProto's extendModel writes them): read and write them as one.
  const graphFields = [...fields(model, 0, model.length)].filter((f) => f.field === 7 && f.wire === 2);
  if (graphFields.length === 0) throw new Error('no graph');
  const g = readGraph(model, graphFields);
  const region = regionOf(g);
  const keep32 = float32Constants(g, region);
  const graphInputs = new Set(g.inputs.map((i) => i.name));
  const rename = new Map<string, string>();
  const castIn: [string, string][] = [];
  const castOut: [string, string][] = [];
  for (const i of g.inputs) {
    if (i.elemType !== DataType.FLOAT || g.initializers.has(i.name)) continue;
    rename.set(i.name, `${i.name}__s2r_f16`);
    castIn.push([i.name, `${i.name}__s2r_f16`]);
  }
  for (const o of g.outputs) {
    if (o.elemType !== DataType.FLOAT || region.has(o.name) || keep32.has(o.name) || graphInputs.has(o.name)) continue;
    if (g.initializers.has(o.name)) throw new Error(`output ${o.name} is a weight`);
    rename.set(o.name, `${o.name}__s2r_f16`);
    castOut.push([`${o.name}__s2r_f16`, o.name]);
  }
  const cast = (w: Writer, from: string, to: string, type: number) =>
    w.message(1, (n) =>
      n
        .string(1, from)
        .string(2, to)
        .string(3, `s2r_cast_${to}`)
        .string(4, 'Cast')
        .message(5, (a) => a.string(1, 'to').varint(3, type).varint(20, 2)),
    );
  const out = new Writer();
  for (const [from, to] of castIn) cast(out, from, to, DataType.FLOAT16);
  for (const f of graphFields.flatMap((gf) => [...fields(model, gf.start, gf.end)])) {
    const bytes = model.subarray(f.start, f.end);
    if (f.field === 1 && f.wire === 2) out.message(1, (n) => writeNode(n, model, f, rename, keep32));
    else if (f.field === 5 && f.wire === 2) out.message(5, (t) => writeTensor(t, model, f, !keep32.has(tensorName(model, f))));
    else if (f.field === 11 && f.wire === 2) {
      const name = valueName(model, f);
      out.message(11, (v) => writeValueInfo(v, model, f, g.initializers.get(name) === DataType.FLOAT && !keep32.has(name)));
    } else if (f.field === 13) continue; // value_info: float types that are float16 now; ORT infers them
    else out.copy(f.field, f.wire, f.value, bytes);
  }
  // -inf, the log of a probability float16 rounds to 0, saturates at float16's lowest value, so
  // what reads the outputs never meets 0 * -inf (NaN in softmax statistics and bilinear resizes);
  // +inf is left alone, as overflow that the first-frame check (SegmentationSession) should see.
  if (castOut.length > 0) {
    out.message(5, (t) => t.varint(2, DataType.FLOAT16).string(8, 's2r_f16_lowest').bytes(9, new Uint8Array(new Uint16Array([0xfbff]).buffer)));
  }
  for (const [from, to] of castOut) {
    out.message(1, (n) => n.string(1, from).string(1, 's2r_f16_lowest').string(2, `${from}_sat`).string(3, `s2r_sat_${to}`).string(4, 'Max'));
    cast(out, `${from}_sat`, to, DataType.FLOAT);
  }
  const head = new Writer();
  for (const f of fields(model, 0, model.length)) {
    if (f.field === 7 && f.wire === 2) continue;
    head.copy(f.field, f.wire, f.value, model.subarray(f.start, f.end));
  }
  return head.bytes(7, out.finish()).finish();
}

interface NodeInfo {
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  /** Cast's `to`, when the node is a Cast. */
  readonly castTo: number | null;
  /** Data type of a Constant's or ConstantOfShape's value tensor. */
  readonly valueType: number | null;
}
interface GraphInfo {
  readonly nodes: NodeInfo[];
  /** Initializer name to data type. */
  readonly initializers: Map<string, number>;
  readonly inputs: { name: string; elemType: number | null }[];
  readonly outputs: { name: string; elemType: number | null }[];
}

const MAKES_FLOATS_FROM_DTYPE = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'EyeLike', 'Bernoulli', 'Multinomial']);
/** Inputs that are float32 whatever the data's type. */
const FLOAT32_ONLY: Record<string, readonly number[]> = { Resize: [1, 2], Upsample: [1] };

const decoder = new TextDecoder();
const text = (buf: Uint8Array, f: Field) => decoder.decode(buf.subarray(f.start, f.end));
const children = (buf: Uint8Array, f: Field) => [...fields(buf, f.start, f.end)];

function readGraph(buf: Uint8Array, graphs: readonly Field[]): GraphInfo {
  const g: GraphInfo = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  for (const f of graphs.flatMap((graph) => [...fields(buf, graph.start, graph.end)])) {
    if (f.wire !== 2) continue;
    if (f.field === 1) g.nodes.push(readNode(buf, f));
    else if (f.field === 5) {
      const t = children(buf, f);
      if (t.some((x) => x.field === 14 && x.value === 1)) throw new Error('external weights');
      g.initializers.set(tensorName(buf, f), t.find((x) => x.field === 2)?.value ?? 0);
    } else if (f.field === 11 || f.field === 12) (f.field === 11 ? g.inputs : g.outputs).push({ name: valueName(buf, f), elemType: elemType(buf, f) });
    else if (f.field === 15) throw new Error('sparse weights');
  }
  return g;
}

function readNode(buf: Uint8Array, f: Field): NodeInfo {
  const node: NodeInfo & { op: string; castTo: number | null; valueType: number | null } = { op: '', inputs: [], outputs: [], castTo: null, valueType: null };
  for (const n of children(buf, f)) {
    if (n.field === 1) node.inputs.push(text(buf, n));
    else if (n.field === 2) node.outputs.push(text(buf, n));
    else if (n.field === 4) node.op = text(buf, n);
    else if (n.field === 7 && text(buf, n) !== '' && text(buf, n) !== 'ai.onnx') throw new Error(`op domain ${text(buf, n)}`);
  }
  for (const n of children(buf, f)) {
    if (n.field !== 5 || n.wire !== 2) continue;
    const attr = children(buf, n);
    const name = text(buf, attr.find((a) => a.field === 1)!);
    if (attr.some((a) => a.field === 6 || a.field === 11)) throw new Error(`${node.op} has a subgraph`);
    if (name === 'dtype' && MAKES_FLOATS_FROM_DTYPE.has(node.op)) throw new Error(`${node.op} makes its values from a dtype`);
    if (node.op === 'Constant' && (name === 'value_float' || name === 'value_floats')) throw new Error(`Constant ${name}`);
    if (node.op === 'Cast' && name === 'to') node.castTo = attr.find((a) => a.field === 3)?.value ?? null;
    if ((node.op === 'Constant' || node.op === 'ConstantOfShape') && name === 'value') {
      const t = attr.find((a) => a.field === 5);
      node.valueType = t ? (children(buf, t).find((x) => x.field === 2)?.value ?? 0) : null;
    }
  }
  return node;
}

/**
 * Values kept float32: what a Cast to float32 makes, and everything computed from it up to a
 * Cast to another type (shape arithmetic ends in a Cast to int64, whose result is no float).
 */
function regionOf(g: GraphInfo): Set<string> {
  const region = new Set<string>();
  for (const n of g.nodes) {
    if (NO_FLOAT_OUTPUT.has(n.op)) continue;
    const inRegion = n.op === 'Cast' ? n.castTo === DataType.FLOAT : n.inputs.some((i) => region.has(i));
    // TopK's second output is its indices.
    if (inRegion) for (const o of n.op === 'TopK' ? n.outputs.slice(0, 1) : n.outputs) region.add(o);
  }
  return region;
}

/** Ops whose outputs are shapes, indices or booleans whatever their inputs: the float32 region ends there. */
const NO_FLOAT_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);

/** Float constants (weights, Constant and ConstantOfShape values) read by the float32 region or at a float32-only input. */
function float32Constants(g: GraphInfo, region: Set<string>): Set<string> {
  const consts = new Set<string>([...g.initializers].filter(([, t]) => t === DataType.FLOAT).map(([n]) => n));
  for (const n of g.nodes) if (n.valueType === DataType.FLOAT) consts.add(n.outputs[0]!);
  const keep = new Set<string>();
  for (const n of g.nodes) {
    const inRegion = n.inputs.some((i) => region.has(i));
    n.inputs.forEach((name, i) => {
      // A constant cast to another type is shape arithmetic too, and Cast types its own output.
      if (consts.has(name) && (inRegion || n.op === 'Cast' || FLOAT32_ONLY[n.op]?.includes(i))) keep.add(name);
    });
  }
  return keep;
}

function writeNode(w: Writer, buf: Uint8Array, f: Field, rename: Map<string, string>, keep32: Set<string>): void {
  const fieldsOf = children(buf, f);
  const op = text(buf, fieldsOf.find((n) => n.field === 4)!);
  const outputs = fieldsOf.filter((n) => n.field === 2).map((n) => text(buf, n));
  const convertValue = (op === 'Constant' || op === 'ConstantOfShape') && !keep32.has(outputs[0]!);
  for (const n of fieldsOf) {
    if (n.field === 1 || n.field === 2) w.string(n.field, rename.get(text(buf, n)) ?? text(buf, n));
    else if (n.field === 5 && n.wire === 2 && convertValue) {
      w.message(5, (a) => {
        for (const x of children(buf, n)) {
          if (x.field === 5 && x.wire === 2) a.message(5, (t) => writeTensor(t, buf, x, true));
          else a.copy(x.field, x.wire, x.value, buf.subarray(x.start, x.end));
        }
      });
    } else w.copy(n.field, n.wire, n.value, buf.subarray(n.start, n.end));
  }
}

/** A TensorProto, as float16 when it is float32 and `convert` says so. */
function writeTensor(w: Writer, buf: Uint8Array, f: Field, convert: boolean): void {
  const t = children(buf, f);
  const copyAll = () => t.forEach((x) => w.copy(x.field, x.wire, x.value, buf.subarray(x.start, x.end)));
  if (!convert || t.find((x) => x.field === 2)?.value !== DataType.FLOAT) return copyAll();
  const raw = t.find((x) => x.field === 9);
  let values: Float32Array;
  // A copy: `buf` may be a Node Buffer, whose slice() is a view into a shared pool.
  if (raw) values = new Float32Array(new Uint8Array(buf.subarray(raw.start, raw.end)).buffer);
  else {
    // float_data: packed (wire 2) or one float per field (wire 5).
    const parts = t.filter((x) => x.field === 4).map((x) => buf.subarray(x.start, x.end));
    const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
    values = new Float32Array(all.buffer);
  }
  const half = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) half[i] = float16Bits(values[i]!);
  for (const x of t) {
    if (x.field === 2) w.varint(2, DataType.FLOAT16);
    else if (x.field !== 4 && x.field !== 9) w.copy(x.field, x.wire, x.value, buf.subarray(x.start, x.end));
  }
  w.bytes(9, new Uint8Array(half.buffer));
}

/** A ValueInfoProto, its tensor's elem_type made float16 when `toHalf`. */
function writeValueInfo(w: Writer, buf: Uint8Array, f: Field, toHalf: boolean): void {
  const rewrite = (out: Writer, at: Field, depth: number): void => {
    for (const x of children(buf, at)) {
      // ValueInfo.type (2) > TypeProto.tensor_type (1) > elem_type (1)
      if (depth < 2 && x.wire === 2 && x.field === (depth === 0 ? 2 : 1)) out.message(x.field, (inner) => rewrite(inner, x, depth + 1));
      else if (depth === 2 && x.field === 1 && x.wire === 0) out.varint(1, DataType.FLOAT16);
      else out.copy(x.field, x.wire, x.value, buf.subarray(x.start, x.end));
    }
  };
  if (!toHalf) return void children(buf, f).forEach((x) => w.copy(x.field, x.wire, x.value, buf.subarray(x.start, x.end)));
  rewrite(w, f, 0);
}

function tensorName(buf: Uint8Array, f: Field): string {
  const n = children(buf, f).find((x) => x.field === 8);
  return n ? text(buf, n) : '';
}

function valueName(buf: Uint8Array, f: Field): string {
  const n = children(buf, f).find((x) => x.field === 1);
  return n ? text(buf, n) : '';
}

function elemType(buf: Uint8Array, f: Field): number | null {
  const type = children(buf, f).find((x) => x.field === 2 && x.wire === 2);
  const tensor = type && children(buf, type).find((x) => x.field === 1 && x.wire === 2);
  return (tensor && children(buf, tensor).find((x) => x.field === 1 && x.wire === 0)?.value) ?? null;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of `v`, rounded to nearest even; finite values beyond 65504 clamp to it. */
export function float16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | Math.min(h, 0x7bff);
}
