/**
 * Just enough of the ONNX protobuf format to build small graphs and to extend a model with
 * extra nodes, without a protobuf dependency. Extending works by appending a second `graph`
 * field to the model's bytes: protobuf parsers merge repeated occurrences of a message field,
 * concatenating its repeated members (nodes, inputs, outputs), so the original model is never
 * decoded or re-encoded.
 */

export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
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

export class Writer {
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

  /** A field copied as it was read (any wire type): see fields(). */
  copy(field: number, wire: number, value: number, data: Uint8Array): this {
    if (wire === 0) return this.varint(field, value);
    if (wire === 2) return this.bytes(field, data);
    this.tag(field, wire);
    this.parts.push(data);
    return this;
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

export interface GraphImport {
  /** Prefixed to every name the imported graph defines (values, nodes, initializers). */
  readonly prefix: string;
  /** Its inputs, each fed by a value of the host graph. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Its outputs to make outputs of the host graph, under new names (others stay internal). */
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * `model` with another model's whole graph merged into its own (appended the way extendModel
 * appends), wired as `how` says, so one session runs both and the tensor between them never
 * leaves ORT. Refuses what a plain merge would get wrong: another default-opset version, other
 * op domains, subgraphs, external or sparse weights.
 */
export function importGraph(model: Uint8Array, other: Uint8Array, how: GraphImport): Uint8Array {
  const opset = defaultOpset(other);
  if (opset === null || opset !== defaultOpset(model)) throw new Error(`opset ${opset} differs from the host model's ${defaultOpset(model)}`);
  const text = (buf: Uint8Array, f: Field) => new TextDecoder().decode(buf.subarray(f.start, f.end));
  const raw = (w: Writer, buf: Uint8Array, f: Field) => w.copy(f.field, f.wire, f.value, buf.subarray(f.start, f.end));
  const rename = (name: string) => (name === '' ? '' : (how.inputs[name] ?? `${how.prefix}${name}`));
  const graphField = [...fields(other, 0, other.length)].find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new Error('no graph');
  const g = new Writer();
  for (const f of fields(other, graphField.start, graphField.end)) {
    if (f.wire !== 2) continue;
    if (f.field === 1) {
      g.message(1, (node) => {
        for (const n of fields(other, f.start, f.end)) {
          if (n.field === 1 || n.field === 2 || n.field === 3) node.string(n.field, n.field === 3 ? `${how.prefix}${text(other, n)}` : rename(text(other, n)));
          else if (n.field === 7 && text(other, n) !== '' && text(other, n) !== 'ai.onnx') throw new Error(`op domain ${text(other, n)}`);
          else if (n.field === 5 && [...fields(other, n.start, n.end)].some((a) => a.field === 6 || a.field === 11)) throw new Error('a node with a subgraph');
          else raw(node, other, n);
        }
      });
    } else if (f.field === 5) {
      g.message(5, (t) => {
        for (const x of fields(other, f.start, f.end)) {
          if (x.field === 14 && x.value === 1) throw new Error('external weights');
          if (x.field === 8) t.string(8, rename(text(other, x)));
          else raw(t, other, x);
        }
      });
    } else if (f.field === 12 || f.field === 13) {
      const fieldsOf = [...fields(other, f.start, f.end)];
      const name = text(other, fieldsOf.find((x) => x.field === 1)!);
      if (f.field === 12 && !(name in how.outputs)) continue;
      if (f.field === 13 && name in how.inputs) continue; // the host describes its own values
      g.message(f.field, (v) => {
        for (const x of fieldsOf) {
          if (x.field === 1) v.string(1, f.field === 12 ? how.outputs[name]! : rename(name));
          else raw(v, other, x);
        }
      });
    } else if (f.field === 15) throw new Error('sparse weights');
  }
  // The graph's outputs under their new names: an Identity from the prefixed value.
  for (const [from, to] of Object.entries(how.outputs)) {
    g.message(1, (node) => node.string(1, `${how.prefix}${from}`).string(2, to).string(3, `${how.prefix}out_${to}`).string(4, 'Identity'));
  }
  const tail = new Writer().bytes(7, g.finish()).finish();
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

export interface Field {
  field: number;
  wire: number;
  value: number;
  start: number;
  end: number;
}

export function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
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
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      if (at + len > end) throw new Error('truncated field');
      yield { field, wire, value: 0, start: at, end: at + len };
      at += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}
