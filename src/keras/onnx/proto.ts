/**
 * The ONNX file format (onnx/onnx.proto3) written and read by hand: the protobuf wire format for
 * the few messages an inference model needs — ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto (with TypeProto and TensorShapeProto), OperatorSetIdProto,
 * StringStringEntryProto. Field numbers are onnx.proto3's. No dependency: a writer that keeps
 * nested messages as lists of chunks (a 60 MB weight is copied once, into the final file), and a
 * reader that decodes what the writer wrote, to check a file before it is put in place.
 */

// ---- the ONNX messages, as plain data

export type OnnxAttribute =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'floats'; value: number[] };

export interface OnnxNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

export type OnnxDataType = 'float' | 'int64';

/** A constant: raw little-endian bytes (float32 or int64) of `dims`, row-major. */
export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  raw: Uint8Array;
}

/** A graph input or output: float32 of this shape (a string names a free dimension, e.g. the batch). */
export interface OnnxValueInfo {
  name: string;
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

const DATA_TYPE: Record<OnnxDataType, number> = { float: 1, int64: 7 };
const ELEM_FLOAT = 1;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

// ---- wire format

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** A protobuf message being written: chunks, concatenated once by `finish`. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  /** A varint; negative numbers as 64-bit two's complement (10 bytes), as protobuf writes int64. */
  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      const low = Number(n & 0x7fn);
      n >>= 7n;
      out.push(n ? low | 0x80 : low);
    } while (n);
    this.push(Uint8Array.from(out));
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, VARINT);
    return this.varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, BYTES);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    this.tag(field, BYTES);
    this.varint(m.length);
    for (const p of m.parts) this.push(p);
    return this;
  }

  /** Repeated int64, packed (nothing when empty, as protobuf writes an empty list). */
  packedInts(field: number, values: number[]): this {
    if (!values.length) return this;
    const w = new ProtoWriter();
    for (const v of values) w.varint(v);
    return this.message(field, w);
  }

  packedFloats(field: number, values: number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export interface ProtoField {
  field: number;
  wire: number;
  /** Varints as bigint (int64 may need all 64 bits); fixed32/64 as their bytes; length-delimited as a view. */
  value: bigint | Uint8Array;
}

/** The varint at `pos` of `buf` and the position after it. */
function varintAt(buf: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, pos];
  }
}

/** The fields of one protobuf message, in order (views into `buf`, nothing copied). */
export function* readFields(buf: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  const varint = (): bigint => {
    const [v, next] = varintAt(buf, pos);
    pos = next;
    return v;
  };
  const take = (n: number): Uint8Array => {
    if (pos + n > buf.length) throw new Error('protobuf: truncated field');
    pos += n;
    return buf.subarray(pos - n, pos);
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    if (wire === VARINT) yield { field, wire, value: varint() };
    else if (wire === FIXED64) yield { field, wire, value: take(8) };
    else if (wire === BYTES) yield { field, wire, value: take(Number(varint())) };
    else if (wire === FIXED32) yield { field, wire, value: take(4) };
    else throw new Error(`protobuf: wire type ${wire} of field ${field} is not supported`);
  }
}

// ---- ONNX messages → bytes

function attributeProto(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name).int(20, ATTRIBUTE_TYPE[a.type]);
  switch (a.type) {
    case 'float': return w.float(2, a.value);
    case 'int': return w.int(3, a.value);
    case 'string': return w.string(4, a.value);
    case 'floats': return w.packedFloats(7, a.value);
    case 'ints': return w.packedInts(8, a.value);
  }
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const a of n.attributes) w.message(5, attributeProto(a));
  return w;
}

function tensorProto(t: OnnxTensor): ProtoWriter {
  return new ProtoWriter().packedInts(1, t.dims).int(2, DATA_TYPE[t.dataType]).string(8, t.name).bytes(9, t.raw);
}

function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().int(1, ELEM_FLOAT).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function graphProto(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  for (const v of g.inputs) w.message(11, valueInfoProto(v));
  for (const v of g.outputs) w.message(12, valueInfoProto(v));
  return w;
}

/** A ModelProto's bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  w.string(6, m.docString).message(7, graphProto(m.graph));
  w.message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) {
    w.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return w.finish();
}

// ---- bytes → ONNX messages (what encodeModel writes)

const text = (v: bigint | Uint8Array) => new TextDecoder().decode(v as Uint8Array);
const int = (v: bigint | Uint8Array) => Number(BigInt.asIntN(64, v as bigint));
const f32 = (v: bigint | Uint8Array) => {
  const b = v as Uint8Array;
  return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
};

/** Repeated int64: packed (one length-delimited run of varints) or one field each. */
function ints(f: ProtoField): number[] {
  if (f.wire === VARINT) return [int(f.value)];
  const buf = f.value as Uint8Array;
  const out: number[] = [];
  for (let pos = 0; pos < buf.length;) {
    const [v, next] = varintAt(buf, pos);
    out.push(int(v));
    pos = next;
  }
  return out;
}

function decodeAttribute(buf: Uint8Array): OnnxAttribute {
  let name = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  const list: number[] = [];
  for (const x of readFields(buf)) {
    if (x.field === 1) name = text(x.value);
    else if (x.field === 20) type = int(x.value);
    else if (x.field === 2) f = f32(x.value);
    else if (x.field === 3) i = int(x.value);
    else if (x.field === 4) s = text(x.value);
    else if (x.field === 7) {
      const b = x.value as Uint8Array;
      for (let k = 0; k < b.length; k += 4) list.push(f32(b.subarray(k, k + 4)));
    } else if (x.field === 8) list.push(...ints(x));
  }
  const byType: Record<number, OnnxAttribute> = {
    1: { name, type: 'float', value: f }, 2: { name, type: 'int', value: i }, 3: { name, type: 'string', value: s },
    6: { name, type: 'floats', value: list }, 7: { name, type: 'ints', value: list },
  };
  if (!byType[type]) throw new Error(`onnx: attribute '${name}' of type ${type} is not one this reader knows`);
  return byType[type];
}

function decodeNode(buf: Uint8Array): OnnxNode {
  const n: OnnxNode = { name: '', op: '', inputs: [], outputs: [], attributes: [] };
  for (const x of readFields(buf)) {
    if (x.field === 1) n.inputs.push(text(x.value));
    else if (x.field === 2) n.outputs.push(text(x.value));
    else if (x.field === 3) n.name = text(x.value);
    else if (x.field === 4) n.op = text(x.value);
    else if (x.field === 5) n.attributes.push(decodeAttribute(x.value as Uint8Array));
  }
  return n;
}

function decodeTensor(buf: Uint8Array): OnnxTensor {
  const t: OnnxTensor = { name: '', dataType: 'float', dims: [], raw: new Uint8Array(0) };
  for (const x of readFields(buf)) {
    if (x.field === 1) t.dims.push(...ints(x));
    else if (x.field === 2) t.dataType = int(x.value) === DATA_TYPE.int64 ? 'int64' : 'float';
    else if (x.field === 8) t.name = text(x.value);
    else if (x.field === 9) t.raw = x.value as Uint8Array;
  }
  return t;
}

/** A ValueInfoProto's name and tensor shape (TypeProto.tensor_type.shape.dim). */
function decodeValueInfo(buf: Uint8Array): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', shape: [] };
  const only = (b: Uint8Array, field: number) =>
    [...readFields(b)].filter((x) => x.field === field).map((x) => x.value as Uint8Array);
  for (const x of readFields(buf)) {
    if (x.field === 1) v.name = text(x.value);
    if (x.field !== 2) continue;
    for (const tensorType of only(x.value as Uint8Array, 1)) {
      for (const shape of only(tensorType, 2)) {
        for (const dim of only(shape, 1)) {
          const [d] = [...readFields(dim)];
          v.shape.push(d.field === 1 ? int(d.value) : text(d.value));
        }
      }
    }
  }
  return v;
}

function decodeGraph(buf: Uint8Array): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
  for (const x of readFields(buf)) {
    const b = x.value as Uint8Array;
    if (x.field === 1) g.nodes.push(decodeNode(b));
    else if (x.field === 2) g.name = text(b);
    else if (x.field === 5) g.initializers.push(decodeTensor(b));
    else if (x.field === 11) g.inputs.push(decodeValueInfo(b));
    else if (x.field === 12) g.outputs.push(decodeValueInfo(b));
  }
  return g;
}

/** Read a ModelProto (the fields encodeModel writes; others are skipped). */
export function decodeModel(buf: Uint8Array): OnnxModel {
  const m: OnnxModel = {
    irVersion: 0, opset: 0, producerName: '', producerVersion: '', docString: '',
    graph: decodeGraph(new Uint8Array(0)), metadata: {},
  };
  for (const x of readFields(buf)) {
    if (x.field === 1) m.irVersion = int(x.value);
    else if (x.field === 2) m.producerName = text(x.value);
    else if (x.field === 3) m.producerVersion = text(x.value);
    else if (x.field === 6) m.docString = text(x.value);
    else if (x.field === 7) m.graph = decodeGraph(x.value as Uint8Array);
    else if (x.field === 8) {
      for (const o of readFields(x.value as Uint8Array)) if (o.field === 2) m.opset = int(o.value);
    } else if (x.field === 14) {
      const [k, v] = [...readFields(x.value as Uint8Array)].map((e) => text(e.value));
      m.metadata[k] = v ?? '';
    }
  }
  return m;
}
