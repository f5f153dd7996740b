import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, maxAbs, seededTensor } from '../testing.ts';
import { registerWasmGradientKernels, wasmGradientKernels, wasmKernelReplacements } from './register.ts';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  registerWasmGradientKernels();
});

const L = tf.layers;

test('registerWasmGradientKernels is idempotent and leaves missing-kernel registrations it did not make alone', () => {
  registerWasmGradientKernels();
  registerWasmGradientKernels();
  for (const k of [...wasmGradientKernels, ...wasmKernelReplacements]) assert.equal(tf.getKernel(k.kernelName, 'wasm'), k);

  // As if a future tfjs-backend-wasm shipped its own Conv2DBackpropFilter.
  const ours = wasmGradientKernels[0];
  const native: tf.KernelConfig = { kernelName: ours.kernelName, backendName: 'wasm', kernelFunc: ours.kernelFunc };
  tf.unregisterKernel(ours.kernelName, 'wasm');
  tf.registerKernel(native);
  try {
    registerWasmGradientKernels();
    assert.equal(tf.getKernel(ours.kernelName, 'wasm'), native);
  } finally {
    tf.unregisterKernel(ours.kernelName, 'wasm');
    tf.registerKernel(ours);
  }
});

test('replaceNative: false keeps the kernels tfjs-backend-wasm ships', () => {
  const replaced = wasmKernelReplacements[1];
  const stand: tf.KernelConfig = { kernelName: replaced.kernelName, backendName: 'wasm', kernelFunc: replaced.kernelFunc };
  tf.unregisterKernel(replaced.kernelName, 'wasm');
  tf.registerKernel(stand);
  registerWasmGradientKernels({ replaceNative: false });
  assert.equal(tf.getKernel(replaced.kernelName, 'wasm'), stand);
  registerWasmGradientKernels();
  assert.equal(tf.getKernel(replaced.kernelName, 'wasm'), replaced);
});

/** The LeNet-5 variant of the brief (no dropout, so both backends compute the same function). */
function lenet(): tf.Sequential {
  return tf.sequential({
    layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 120, activation: 'relu' }),
      L.dense({ units: 84, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** Load weight values into `model` (on the current backend), disposing the temporaries. */
function setWeightsFrom(model: tf.LayersModel, values: Float32Array[]): void {
  const ts = model.getWeights().map((w, i) => tf.tensor(values[i], w.shape));
  model.setWeights(ts);
  tf.dispose(ts);
}

interface TrainResult { losses: number[]; weights: Float32Array[] }

/** Train `steps` SGD steps on backend `name` from the given initial weights; nothing left behind. */
async function trainOn(name: string, init: Float32Array[], steps: number, batch: number): Promise<TrainResult> {
  await tf.setBackend(name);
  const model = lenet();
  setWeightsFrom(model, init);
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
  const xs = seededTensor([batch, 28, 28, 1], 7);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % 10), 'int32'), 10));
  const losses: number[] = [];
  let tensorsAfterFirst = 0;
  for (let step = 0; step < steps; step++) {
    losses.push(Number(await model.trainOnBatch(xs, labels)));
    if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, tensorsAfterFirst, `${name}: tensors leak per training step`);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([xs, labels]);
  model.optimizer.dispose();
  model.dispose();
  return { losses, weights };
}

test('LeNet-5 trained on wasm follows the cpu run step for step', async () => {
  const init = tf.tidy(() => {
    const m = lenet();
    const w = m.getWeights().map((t) => t.dataSync().slice() as Float32Array);
    m.dispose();
    return w;
  });
  const steps = 4;
  const wasm = await trainOn('wasm', init, steps, 8);
  const cpu = await trainOn('cpu', init, steps, 8);
  await tf.setBackend('wasm');
  assertClose(wasm.losses, cpu.losses, 1e-4, 1e-4, 'loss per step');
  assert.ok(wasm.losses[steps - 1] < wasm.losses[0], `loss should fall: ${wasm.losses}`);
  for (const [i, w] of wasm.weights.entries()) {
    assertClose(w, cpu.weights[i], 1e-5 * Math.max(1, maxAbs(cpu.weights[i])), 1e-3, `weight ${i} after ${steps} steps`);
    // The step really moved the weights (the comparison is not trivially between initial values).
    assert.ok(w.some((v, j) => v !== init[i][j]), `weight ${i} did not change`);
  }
});

/** A functional model with the blocks the brief names, small enough for the cpu reference. */
function blocks(kind: 'vgg' | 'resnet' | 'efficientnet'): tf.LayersModel {
  const inp = tf.input({ shape: [12, 12, 3] });
  const ap = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  let x: tf.SymbolicTensor;
  if (kind === 'vgg') {
    x = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }), inp);
    // conv → batch norm → max pool → relu: the pool sees negative windows (see MaxPoolGrad.ts).
    x = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }), x);
    x = ap(L.batchNormalization(), x);
    x = ap(L.maxPooling2d({ poolSize: 2 }), x);
    x = ap(L.activation({ activation: 'relu' }), x);
    x = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
    x = ap(L.averagePooling2d({ poolSize: 2 }), x);
    x = ap(L.flatten(), x);
  } else if (kind === 'resnet') {
    // Pre-activation (v2) block with a projection shortcut: BN → relu → conv s2 → BN → relu → conv, + 1×1 s2.
    const stem = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }), inp);
    let y = ap(L.batchNormalization(), stem);
    y = ap(L.activation({ activation: 'relu' }), y);
    const shortcut = ap(L.conv2d({ filters: 16, kernelSize: 1, strides: 2 }), y);
    y = ap(L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), y);
    y = ap(L.batchNormalization(), y);
    y = ap(L.activation({ activation: 'relu' }), y);
    y = ap(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }), y);
    x = ap(L.add(), [y, shortcut]);
    x = ap(L.globalAveragePooling2d({}), x);
  } else {
    // MBConv: expand 1×1 → BN → swish → depthwise 3×3 s2 → BN → swish → squeeze-excite → project 1×1 → BN.
    let y = ap(L.conv2d({ filters: 12, kernelSize: 1, useBias: false }), inp);
    y = ap(L.batchNormalization(), y);
    y = ap(L.activation({ activation: 'swish' }), y);
    y = ap(L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false }), y);
    y = ap(L.batchNormalization(), y);
    y = ap(L.activation({ activation: 'swish' }), y);
    let se = ap(L.globalAveragePooling2d({}), y);
    se = ap(L.reshape({ targetShape: [1, 1, 12] }), se);
    se = ap(L.conv2d({ filters: 3, kernelSize: 1, activation: 'swish' }), se);
    se = ap(L.conv2d({ filters: 12, kernelSize: 1, activation: 'sigmoid' }), se);
    y = ap(L.multiply(), [y, se]);
    y = ap(L.conv2d({ filters: 8, kernelSize: 1, useBias: false }), y);
    y = ap(L.batchNormalization(), y);
    y = ap(L.depthwiseConv2d({ kernelSize: 5, strides: 1, padding: 'same', activation: 'relu6' }), y);
    x = ap(L.globalAveragePooling2d({}), y);
  }
  const out = ap(L.dense({ units: 10, activation: 'softmax' }), x);
  return tf.model({ inputs: inp, outputs: out });
}

/** Loss and the gradient of every trainable weight (training-mode batch norm) on backend `name`. */
async function gradsOn(name: string, kind: 'vgg' | 'resnet' | 'efficientnet', init: Float32Array[]): Promise<Float32Array[]> {
  await tf.setBackend(name);
  const model = blocks(kind);
  setWeightsFrom(model, init);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const out = tf.tidy(() => {
    const xs = seededTensor([3, 12, 12, 3], 71);
    const ys = tf.oneHot(tf.tensor1d([1, 4, 9], 'int32'), 10);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(ys, tf.log(model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar,
      vars,
    );
    return [value, ...vars.map((v) => grads[v.name])];
  });
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  model.dispose();
  return values;
}

test('VGG, ResNet-v2 and EfficientNet blocks: every weight gradient on wasm matches cpu', async () => {
  for (const kind of ['vgg', 'resnet', 'efficientnet'] as const) {
    const init = tf.tidy(() => {
      const m = blocks(kind);
      const w = m.getWeights().map((t) => t.dataSync().slice() as Float32Array);
      m.dispose();
      return w;
    });
    const before = tf.memory().numTensors;
    const wasm = await gradsOn('wasm', kind, init);
    assert.equal(tf.memory().numTensors, before, `${kind}: tensors left on wasm`);
    const cpu = await gradsOn('cpu', kind, init);
    await tf.setBackend('wasm');
    for (const [i, g] of wasm.entries()) {
      const what = i === 0 ? `${kind} loss` : `${kind} gradient of trainable weight ${i - 1}`;
      assertClose(g, cpu[i], 1e-4 * Math.max(1e-2, maxAbs(cpu[i])), 1e-3, what);
    }
  }
});
