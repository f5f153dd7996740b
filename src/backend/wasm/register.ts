/**
 * Makes models trainable on the wasm backend: registers the gradient kernels
 * @tensorflow/tfjs-backend-wasm 4.22 lacks and (by default) replaces three it ships that are wrong
 * or slow.
 *
 * Missing. A backward pass through LeNet-5, VGG-style, ResNet-v2 and MobileNet/EfficientNet blocks
 * (conv2d strides 1/2 same/valid, depthwise/separable conv, max/avg/global pooling, batch norm,
 * relu/relu6/elu/swish/sigmoid/softmax, add, squeeze-excite multiply, dropout, zero padding, with
 * sgd/momentum/adam/rmsprop/adagrad/adadelta/adamax) was run against tfjs 4.22's registries: every
 * kernel it reaches exists on wasm except Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter
 * and DepthwiseConv2dNativeBackpropInput. The rest is composed by tfjs-core from kernels wasm has
 * (the FusedBatchNorm, Relu6, Sigmoid, Softmax, Mean and Multiply gradients are elementwise ops and
 * sums; AvgPoolGrad is native and checked correct). Other kernels wasm lacks (UnsortedSegmentSum for
 * gather/embedding gradients, FFT, Einsum, …) are not on these paths.
 *
 * Replaced (`wasmKernelReplacements`):
 * - MaxPoolGrad: the native one starts each window's maximum at std::numeric_limits<float>::min()
 *   (the smallest positive float, not the lowest), so windows without a positive value lose their
 *   gradient, and ties go to the last maximum instead of the first (tfjs-backend-cpu's rule).
 *   Pooling right after a conv or batch norm (no ReLU first) therefore trains wrongly. ~2–3× slower
 *   than ours, too.
 * - Conv2DBackpropInput: the native one is a scalar loop, the biggest kernel of a LeNet-5 step
 *   (≈20 ms of ≈74 ms CPU); ours runs on XNNPACK (5–13× faster).
 * - BatchMatMul: the native one uses XNNPACK only for untransposed products, but every dense
 *   layer's gradient multiplies by transposes (xᵀ·dy, dy·Wᵀ); ours transposes first (5–10× faster).
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.ts';
import { maxPoolGradConfig } from './MaxPoolGrad.ts';

/** The kernels this module provides (each one `{kernelName, backendName: 'wasm', kernelFunc}`). */
export const wasmGradientKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig, // every Conv2D / FusedConv2D weight gradient
  depthwiseConv2dNativeBackpropFilterConfig, // depthwise / separable conv weight gradient
  depthwiseConv2dNativeBackpropInputConfig, // gradient flowing back through a depthwise conv
];

/** Replacements for kernels tfjs-backend-wasm 4.22 ships (see the module comment for why). */
export const wasmKernelReplacements: readonly tf.KernelConfig[] = [
  conv2DBackpropInputConfig, // every conv layer but the first: the gradient flowing back to its input
  maxPoolGradConfig, // every maxPooling2d layer
  batchMatMulConfig, // every dense layer's backward pass (transposed products)
];

export interface RegisterWasmGradientOptions {
  /**
   * Also install `wasmKernelReplacements` over tfjs-backend-wasm's own MaxPoolGrad (wrong for
   * windows without a positive value), Conv2DBackpropInput and BatchMatMul (slow). Default true.
   */
  replaceNative?: boolean;
}

/**
 * Register the missing wasm gradient kernels and, unless `replaceNative: false`, the replacements.
 * Idempotent: a missing kernel already registered for 'wasm' (by an earlier call, or natively by a
 * future tfjs-backend-wasm) is left alone; a replacement is only installed if not already ours.
 * Call after importing '@tensorflow/tfjs-backend-wasm' (its import registers the natives being
 * replaced); before or after the backend is initialised (none of these kernels needs setup).
 */
export function registerWasmGradientKernels(options: RegisterWasmGradientOptions = {}): void {
  for (const config of wasmGradientKernels) {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) tf.registerKernel(config);
  }
  if (options.replaceNative === false) return;
  for (const config of wasmKernelReplacements) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
}
