import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { ProtoWriter, decodeModel, encodeModel, readFields, type OnnxAttribute, type OnnxModel } from './proto.ts';

const floats = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const AXIS: OnnxAttribute = { name: 'axis', type: 'int', value: -1 };
/** The other attribute types, negative and large ints, non-ASCII text. */
const OTHERS: OnnxAttribute[] = [
  { name: 'perm', type: 'ints', value: [0, -3, 2 ** 33] },
  { name: 's', type: 'string', value: 'é' },
  { name: 'fs', type: 'floats', value: [0.5, -2] },
];

/** y = Softmax(Reshape(x, [-1, 3]) · 2 + b): negative int64 data, every attribute type, a scalar constant. */
const MODEL: OnnxModel = {
  irVersion: 7,
  opset: 13,
  producerName: 'test',
  producerVersion: '0',
  docString: 'a tiny model',
  metadata: { class_names: '["a","b","c"]', empty: '' },
  graph: {
    name: 'tiny',
    inputs: [{ name: 'x', shape: ['N', 3] }],
    outputs: [{ name: 'y', shape: ['N', 3] }],
    initializers: [
      { name: 'shape', dataType: 'int64', dims: [2], raw: new Uint8Array(BigInt64Array.from([-1n, 3n]).buffer) },
      { name: 'two', dataType: 'float', dims: [], raw: floats([2]) },
      { name: 'b', dataType: 'float', dims: [3], raw: floats([0.5, -1, 0.25]) },
    ],
    nodes: [
      { name: 'r', op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r:0'], attributes: [] },
      { name: 'm', op: 'Mul', inputs: ['r:0', 'two'], outputs: ['m:0'], attributes: [] },
      { name: 'a', op: 'Add', inputs: ['m:0', 'b'], outputs: ['a:0'], attributes: [] },
      { name: 'y', op: 'Softmax', inputs: ['a:0'], outputs: ['y'], attributes: [AXIS] },
      // Not on the output's path: attributes of every other type round-trip (ONNX Runtime prunes the node).
      {
        name: 'unused', op: 'LeakyRelu', inputs: ['x'], outputs: ['unused:0'],
        attributes: [{ name: 'alpha', type: 'float', value: Math.fround(0.1) }],
      },
    ],
  },
};

test('varints: non-negative and negative int64 (ten bytes, two\'s complement) read back', () => {
  const w = new ProtoWriter().int(1, 0).int(2, 300).int(3, -1).int(4, 2 ** 40).packedInts(5, [-2, 7]);
  const fields = [...readFields(w.finish())];
  assert.deepEqual(fields.slice(0, 4).map((f) => BigInt.asIntN(64, f.value as bigint)), [0n, 300n, -1n, 2n ** 40n]);
  const nodes = [{ ...MODEL.graph.nodes[0], attributes: OTHERS }];
  const again = decodeModel(encodeModel({ ...MODEL, graph: { ...MODEL.graph, nodes } }));
  assert.deepEqual(again.graph.nodes[0].attributes, OTHERS);
});

test('a model written here reads back field for field, and ONNX Runtime runs it', async () => {
  const bytes = encodeModel(MODEL);
  const back = decodeModel(bytes);
  const withoutConstants = (m: OnnxModel) => ({ ...m, graph: { ...m.graph, initializers: [] } });
  assert.deepEqual(withoutConstants(back), withoutConstants(MODEL));
  const constants = (m: OnnxModel) => m.graph.initializers.map((t) => [t.name, t.dataType, t.dims, Array.from(t.raw)]);
  assert.deepEqual(constants(back), constants(MODEL));

  const session = await ort.InferenceSession.create(bytes);
  const x = Float32Array.from([1, 2, 3, 0, 0, 0]);
  const y = (await session.run({ x: new ort.Tensor('float32', x, [2, 3]) })).y.data as Float32Array;
  const want = [[1, 2, 3], [0, 0, 0]].flatMap((row) => {
    const a = row.map((v, i) => 2 * v + [0.5, -1, 0.25][i]);
    const e = a.map((v) => Math.exp(v - Math.max(...a)));
    return e.map((v) => v / e.reduce((s, t) => s + t, 0));
  });
  assert.ok(Array.from(y).every((v, i) => Math.abs(v - want[i]) < 1e-6), `${Array.from(y)} vs ${want}`);
  assert.deepEqual(session.inputNames, ['x']);
  assert.deepEqual(session.outputNames, ['y']);
});
