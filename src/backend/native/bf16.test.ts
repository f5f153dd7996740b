/**
 * Mixed precision on the native backend (addon/common.h, "compute precision"): with bf16 the
 * convolution passes (regular and depthwise) and large matrix products read bf16 inputs and
 * accumulate in float32. Checked against the cpu backend's float32 within bf16's tolerance (8 bits
 * of mantissa: a relative error of ~0.4% per input, averaged down over long sums), on odd shapes;
 * that bf16 really ran where the CPU has native bf16 (the results differ from fp32's); and that
 * fp32 is bit for bit what it was before bf16 was ever switched on.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTrainConfig } from '../../config.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { train } from '../../train/train.ts';
import { initBackend, setPrecision } from '../select.ts';
import { runOn, seededTensor } from '../testing.ts';
import { AMX_ISA, AVX512_BF16_ISA } from '../precision.ts';
import { loadAddon } from './addon.ts';
import { compareWithCpu, nativeReady } from './test_support.ts';

/** Whether oneDNN has native bf16 kernels here (elsewhere bf16 shapes stay float32: see ConvRunsInBf16). */
const nativeBf16 = () => [AMX_ISA, AVX512_BF16_ISA].includes(loadAddon().info().isa);

type Conv = { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'same' | 'valid' };
// Channels ≥ 16 (fewer stay float32); odd batches, sizes and channel counts; strides 1 and 2.
const convs: Conv[] = [
  { x: [3, 9, 9, 16], f: [3, 3, 16, 24], s: 1, pad: 'same' },
  { x: [2, 11, 7, 20], f: [3, 3, 20, 33], s: 2, pad: 'valid' },
  { x: [5, 6, 6, 48], f: [1, 1, 48, 17], s: 1, pad: 'valid' },
  { x: [4, 8, 8, 64], f: [3, 3, 64, 64], s: 1, pad: 'same' },
];
const name = (c: Conv) => `x ${c.x} f ${c.f} s ${c.s} ${c.pad}`;
const xOf = (c: Conv, i: number) => seededTensor(c.x, 100 + i) as tf.Tensor4D;
const fOf = (c: Conv, i: number) => seededTensor(c.f, 200 + i, 0.3) as tf.Tensor4D;

/** Every conv pass of case c: y, dx, dw (the sum's gradients weigh every output by a seeded dy). */
function convPasses(c: Conv, i: number, depthwise = false): tf.Tensor[] {
  const x = xOf(c, i);
  const f = depthwise ? (seededTensor([c.f[0], c.f[1], c.x[3], 1], 300 + i, 0.3) as tf.Tensor4D) : fOf(c, i);
  const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => (depthwise ? tf.depthwiseConv2d(a, b, c.s, c.pad) : tf.conv2d(a, b, c.s, c.pad));
  const y = conv(x, f);
  const dy = seededTensor(y.shape, 400 + i);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a as tf.Tensor4D, b as tf.Tensor4D).mul(dy).sum())([x, f]);
  return [y, dx, dw];
}

async function withPrecision<T>(precision: 'fp32' | 'bf16', fn: () => Promise<T>): Promise<T> {
  loadAddon().setPrecision(precision);
  try {
    return await fn();
  } finally {
    loadAddon().setPrecision('fp32');
  }
}

// bf16 keeps 8 significant bits: each product's inputs are off by up to 2^-9 relative, so a sum of
// k terms drifts by ~2^-9·sqrt(k) of its typical term. 2e-2 of the largest magnitude covers every case here.
const BF16 = { atol: 2e-2, rtol: 2e-2 };

test('bf16 convolutions (forward, input and weight gradients) match cpu float32 within bf16 tolerance', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await withPrecision('bf16', async () => {
    for (const [i, c] of convs.entries()) {
      await compareWithCpu(`bf16 ${name(c)}`, () => convPasses(c, i), { kernels: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'], ...BF16 });
    }
  });
});

test('bf16 depthwise convolutions and matrix products match cpu float32 within bf16 tolerance', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await withPrecision('bf16', async () => {
    for (const [i, c] of convs.slice(0, 3).entries()) {
      await compareWithCpu(`bf16 depthwise ${name(c)}`, () => convPasses(c, i, true), {
        kernels: ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'], ...BF16,
      });
    }
    // 2 images · 2·256·300·129 ≈ 40 MFLOP: above the addon's bf16 threshold for products (32 MFLOP).
    const a = seededTensor([2, 256, 300], 7);
    const b = seededTensor([2, 300, 129], 8);
    await compareWithCpu('bf16 batched matmul 2x256x300 · 2x300x129', () => tf.matMul(a, b), { kernels: ['BatchMatMul'], ...BF16 });
    const at = seededTensor([2, 300, 256], 9);
    const bt = seededTensor([2, 129, 300], 10);
    await compareWithCpu('bf16 batched matmul, both transposed', () => tf.matMul(at, bt, true, true), { kernels: ['BatchMatMul'], ...BF16 });
  });
});

test('bf16 really runs where the CPU has it, and fp32 stays bit for bit what it was', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const c = convs[3];
  const all = () => [...convPasses(c, 3), ...convPasses(c, 3, true), tf.matMul(seededTensor([4, 256, 300], 11), seededTensor([4, 300, 128], 12))];
  const before = await runOn('native', all);
  const bf16 = await withPrecision('bf16', () => runOn('native', all));
  const after = await runOn('native', all); // withPrecision switched back to fp32 (the cache was cleared)
  for (const [i, b] of before.entries()) {
    assert.deepEqual(after[i].values, b.values, `output ${i}: fp32 after a bf16 spell equals fp32 before, bit for bit`);
    if (nativeBf16()) assert.notDeepEqual(bf16[i].values, b.values, `output ${i}: bf16 computed something else than fp32 (it ran)`);
  }
  if (!nativeBf16()) t.diagnostic(`no native bf16 on ${loadAddon().info().isa}: bf16 shapes stayed float32 here`);
});

test('a short bf16 training tracks fp32: same data, seed and model, losses within a few percent', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  if (!nativeBf16()) return t.skip(`no native bf16 on ${loadAddon().info().isa}`);
  const data = loadFashionMnist();
  const config = parseTrainConfig({ model: 'resnet9_xs', limit: 1200, epochs: 2, batchSize: 64, optimizer: 'sgd', lr: 0.05, valSplit: 0.2 });
  const runIn = async (precision: 'fp32' | 'bf16') => {
    await initBackend('native', 2, precision);
    const outDir = mkdtempSync(join(tmpdir(), `fmnist-${precision}-`));
    try {
      const r = await train({ config, outDir, data });
      return { losses: r.epochs.map((e) => e.loss), valAcc: r.final.valAcc!, recorded: (JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8')) as { precision: string }).precision };
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  };
  const fp32 = await runIn('fp32');
  const bf16 = await runIn('bf16');
  await setPrecision('fp32');
  assert.equal(fp32.recorded, 'fp32');
  assert.equal(bf16.recorded, 'bf16');
  assert.ok(fp32.losses[1] < fp32.losses[0] && bf16.losses[1] < bf16.losses[0], `both learn: fp32 ${fp32.losses}, bf16 ${bf16.losses}`);
  for (const [i, l] of fp32.losses.entries()) {
    assert.ok(Math.abs(bf16.losses[i] - l) / l < 0.05, `epoch ${i + 1} loss: bf16 ${bf16.losses[i]} vs fp32 ${l}`);
  }
  assert.notDeepEqual(bf16.losses, fp32.losses, 'bf16 computed differently (it ran)');
  assert.ok(Math.abs(bf16.valAcc - fp32.valAcc) < 0.05, `val accuracy: bf16 ${bf16.valAcc} vs fp32 ${fp32.valAcc}`);
});
