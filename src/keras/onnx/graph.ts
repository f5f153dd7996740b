/**
 * Building an ONNX graph: unique value names, constants as initializers, nodes in the order they
 * are added (topological, since each node's inputs exist before it), and the layout of each value.
 *
 * Layouts: tfjs is NHWC; ONNX's Conv, pools and BatchNormalization are NCHW. A 4-D value is kept in
 * whichever layout its producer made and transposed only where a consumer needs the other one
 * ('nchw': the tfjs tensor with its axes as [0, 3, 1, 2]; 'tf': as tfjs has it), so a chain of
 * convolutions runs without a transpose between them and flattening still sees tfjs' order.
 */
import type { OnnxAttribute, OnnxDataType, OnnxNode, OnnxTensor } from './proto.ts';

export type Layout = 'nchw' | 'tf';

export interface Value {
  name: string;
  rank: number;
  layout: Layout;
}

/** Attribute shorthands. */
export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, type: 'int', value }),
  ints: (name: string, value: number[]): OnnxAttribute => ({ name, type: 'ints', value }),
  // float32, as the file stores it (so a model read back compares equal).
  float: (name: string, value: number): OnnxAttribute => ({ name, type: 'float', value: Math.fround(value) }),
  string: (name: string, value: string): OnnxAttribute => ({ name, type: 'string', value }),
};

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** NCHW values that are zero padding of another, by name: their pads [top, left, bottom, right]. */
  readonly zeroPadded = new Map<string, number[]>();
  private readonly names = new Set<string>();

  /** `base`, or `base_1`, `base_2`… when taken. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  constant(name: string, dataType: OnnxDataType, dims: number[], values: ArrayLike<number>): string {
    const data = dataType === 'float' ? Float32Array.from(values) : BigInt64Array.from(Array.from(values, BigInt));
    const unique = this.unique(name);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name: unique, dataType, dims, raw });
    return unique;
  }

  float(name: string, dims: number[], values: ArrayLike<number>): string {
    return this.constant(name, 'float', dims, values);
  }

  int64(name: string, values: number[]): string {
    return this.constant(name, 'int64', [values.length], values);
  }

  /** Add a node; returns the name of its (one) output. */
  node(op: string, inputs: string[], attributes: OnnxAttribute[] = [], name = op): string {
    const node = this.unique(name);
    const output = `${node}:0`;
    this.nodes.push({ name: node, op, inputs, outputs: [output], attributes });
    return output;
  }

  /** `v` as NCHW (4-D values only; others are returned as they are). */
  nchw(v: Value): Value {
    if (v.rank !== 4 || v.layout === 'nchw') return v;
    return { name: this.node('Transpose', [v.name], [attr.ints('perm', TO_NCHW)], 'to_nchw'), rank: 4, layout: 'nchw' };
  }

  /** `v` in tfjs' own layout. */
  tf(v: Value): Value {
    if (v.layout === 'tf') return v;
    return { name: this.node('Transpose', [v.name], [attr.ints('perm', TO_NHWC)], 'to_nhwc'), rank: 4, layout: 'tf' };
  }

  /** Values for one elementwise op: all NCHW when all are 4-D and one already is, else all as tfjs has them. */
  together(values: Value[]): Value[] {
    const nchw = values.every((v) => v.rank === 4) && values.some((v) => v.layout === 'nchw');
    return values.map((v) => (nchw ? this.nchw(v) : this.tf(v)));
  }
}

/** A tfjs axis of a 4-D tensor as the same axis in NCHW. */
export function nchwAxis(axis: number): number {
  return [0, 2, 3, 1][axis < 0 ? axis + 4 : axis];
}
