/**
 * Just enough of the ONNX protobuf format to build small graphs and to extend a model with
 * extra nodes, without a protobuf dependency. Extending works by appending a second `graph`
 * field to the model's bytes: protobuf parsers merge repeated occurrences of a message field,
 * concatenating its repeated members (nodes, inputs, outputs), so the original model is never
 * decoded or re-encoded.
 */

export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

type Dim = number | string;
export interface ValueInfo {
  readonly name: string;
  readonly type: DataTypeCode;
  readonly shape: readonly Dim[];
}
export type AttrValue = number | string | readonly number[] | { float: number };
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}
export interface TensorSpec {
  readonly name: string;
  readonly type: typeof DataType.FLOAT | typeof DataType.INT64;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}
export interface GraphSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs?: readonly ValueInfo[];
  readonly outputs?: readonly ValueInfo[];
  readonly initializers?: readonly TensorSpec[];
}

class Writer {
  private readonly parts: Uint8Array[] = [];

  varint(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(BigInt(data.length));
    this.parts.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  private rawVarint(v: bigint): void {
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.parts.push(Uint8Array.from(bytes));
  }
}

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

function writeAttr(w: Writer, name: string, value: AttrValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.varint(3, value).varint(20, AttrType.INT);
  else if (typeof value === 'string') w.string(4, value).varint(20, AttrType.STRING);
  else if ('float' in value) w.float(2, value.float).varint(20, AttrType.FLOAT);
  else {
    for (const v of value) w.varint(8, v);
    w.varint(20, AttrType.INTS);
  }
}

function writeValueInfo(w: Writer, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, info.type);
      tensor.message(2, (shape) => {
        for (const d of info.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function writeTensor(w: Writer, t: TensorSpec): void {
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.type);
  w.string(8, t.name);
  const raw =
    t.type === DataType.FLOAT ? new Uint8Array(Float32Array.from(t.values).buffer) : new Uint8Array(BigInt64Array.from(t.values.map(BigInt)).buffer);
  w.bytes(9, raw);
}

function writeGraph(w: Writer, g: GraphSpec, name?: string): void {
  g.nodes.forEach((n, i) =>
    w.message(1, (node) => {
      for (const x of n.inputs) node.string(1, x);
      for (const y of n.outputs) node.string(2, y);
      node.string(3, `s2r_${n.op}_${i}_${n.outputs[0] ?? ''}`);
      node.string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => writeAttr(a, k, v));
    }),
  );
  if (name) w.string(2, name);
  for (const t of g.initializers ?? []) w.message(5, (x) => writeTensor(x, t));
  for (const i of g.inputs ?? []) w.message(11, (x) => writeValueInfo(x, i));
  for (const o of g.outputs ?? []) w.message(12, (x) => writeValueInfo(x, o));
}

/** A complete model in the default domain at `opset`. */
export function buildModel(graph: GraphSpec, opset = 17): Uint8Array {
  const w = new Writer();
  w.varint(1, 8); // IR version 8 goes with opset 17/18
  w.string(2, 'sim2real-studio');
  w.message(7, (g) => writeGraph(g, graph, 's2r'));
  w.message(8, (o) => o.string(1, '').varint(2, opset));
  return w.finish();
}

/** The model's bytes with `extra` merged into its graph (see the file comment). */
export function extendModel(model: Uint8Array, extra: GraphSpec): Uint8Array {
  const tail = new Writer().message(7, (g) => writeGraph(g, extra)).finish();
  const out = new Uint8Array(model.length + tail.length);
  out.set(model, 0);
  out.set(tail, model.length);
  return out;
}

/** Version of the default ("" or "ai.onnx") opset a model imports; null when the bytes are not a model. */
export function defaultOpset(model: Uint8Array): number | null {
  try {
    let version: number | null = null;
    for (const f of fields(model, 0, model.length)) {
      if (f.field !== 8 || f.wire !== 2) continue;
      let domain = '';
      let v = 0;
      for (const g of fields(model, f.start, f.end)) {
        if (g.field === 1 && g.wire === 2) domain = new TextDecoder().decode(model.subarray(g.start, g.end));
        if (g.field === 2 && g.wire === 0) v = g.value;
      }
      if (domain === '' || domain === 'ai.onnx') version = v;
    }
    return version;
  } catch {
    return null;
  }
}

interface Field {
  field: number;
  wire: number;
  value: number;
  start: number;
  end: number;
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let at = start;
  const varint = (): number => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= end) throw new Error('truncated varint');
      const b = buf[at++]!;
      result += (b & 0x7f) * shift;
      shift *= 128;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('varint too long');
  };
  while (at < end) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw new Error('field 0');
    if (wire === 0) {
      const value = varint();
      yield { field, wire, value, start: at, end: at };
    } else if (wire === 2) {
      const len = varint();
      if (at + len > end) throw new Error('truncated field');
      yield { field, wire, value: len, start: at, end: at + len };
      at += len;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}
