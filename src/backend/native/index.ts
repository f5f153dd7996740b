/**
 * The `native` tfjs backend: tfjs-backend-cpu's MathBackendCPU (its tensor storage and every one of
 * its kernels) with the heavy kernels replaced by a oneDNN addon (./addon, built by
 * scripts/build-native.js). Kernels work on the cpu backend's Float32Arrays in place (no copies in
 * or out of C++) and write into arrays recycled from disposed tensors (backend.ts). While it is the
 * active backend, Adam's update runs as one fused native call per variable (adam.ts): the training
 * loop's Adam calls it with each step's rate, and tf.train.adam's optimizers are routed to it.
 *
 * Layout: addon.ts (the compiled addon's interface and loader), backend.ts (the backend class),
 * kernels/<KernelName>.ts (one kernel each; shared.ts and elementwise.ts their common parts),
 * adam.ts, gradients.ts (one-pass gradients of relu, relu6 and clip), swish.ts (the swish activation in one pass), test_support.ts (the tests' comparison against cpu).
 */
import * as tf from '@tensorflow/tfjs';
import { installFusedAdam } from './adam.ts';
import { installRangeGradients } from './gradients.ts';
import { installSwish } from './swish.ts';
import { loadAddon } from './addon.ts';
import { NativeBackend } from './backend.ts';
import { avgPoolConfig } from './kernels/AvgPool.ts';
import { avgPoolGradConfig } from './kernels/AvgPoolGrad.ts';
import { batchMatMulConfig } from './kernels/BatchMatMul.ts';
import { rangeGradConfig } from './kernels/RangeGrad.ts';
import { swishConfig } from './kernels/Swish.ts';
import { swishGradConfig } from './kernels/SwishGrad.ts';
import { conv2DConfig } from './kernels/Conv2D.ts';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput.ts';
import { depthwiseConv2dNativeConfig } from './kernels/DepthwiseConv2dNative.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/DepthwiseConv2dNativeBackpropInput.ts';
import { eluConfig } from './kernels/Elu.ts';
import { fusedBatchNormConfig } from './kernels/FusedBatchNorm.ts';
import { batchNormTrainConfig } from './kernels/BatchNormTrain.ts';
import { batchNormTrainGradConfig } from './kernels/BatchNormTrainGrad.ts';
import { fusedConv2DConfig } from './kernels/FusedConv2D.ts';
import { fusedDepthwiseConv2DConfig } from './kernels/FusedDepthwiseConv2D.ts';
import { fusedMatMulConfig } from './kernels/_FusedMatMul.ts';
import { leakyReluConfig } from './kernels/LeakyRelu.ts';
import { maxPoolConfig } from './kernels/MaxPool.ts';
import { maxPoolGradConfig } from './kernels/MaxPoolGrad.ts';
import { reluConfig } from './kernels/Relu.ts';
import { relu6Config } from './kernels/Relu6.ts';
import { sigmoidConfig } from './kernels/Sigmoid.ts';
import { softmaxConfig } from './kernels/Softmax.ts';
import { sumConfig } from './kernels/Sum.ts';
import { addConfig } from './kernels/Add.ts';
import { subConfig } from './kernels/Sub.ts';
import { multiplyConfig } from './kernels/Multiply.ts';
import { realDivConfig } from './kernels/RealDiv.ts';
import { maximumConfig } from './kernels/Maximum.ts';
import { minimumConfig } from './kernels/Minimum.ts';
import { squaredDifferenceConfig } from './kernels/SquaredDifference.ts';
import { stepConfig } from './kernels/Step.ts';
import { sqrtConfig } from './kernels/Sqrt.ts';
import { rsqrtConfig } from './kernels/Rsqrt.ts';
import { squareConfig } from './kernels/Square.ts';
import { negConfig } from './kernels/Neg.ts';
import { expConfig } from './kernels/Exp.ts';
import { logConfig } from './kernels/Log.ts';
import { absConfig } from './kernels/Abs.ts';
import { reciprocalConfig } from './kernels/Reciprocal.ts';
import { meanConfig } from './kernels/Mean.ts';
import { sliceConfig } from './kernels/Slice.ts';
import { padV2Config } from './kernels/PadV2.ts';
import { tileConfig } from './kernels/Tile.ts';
import { clipByValueConfig } from './kernels/ClipByValue.ts';
import { greaterEqualConfig } from './kernels/GreaterEqual.ts';
import { lessEqualConfig } from './kernels/LessEqual.ts';
import { logicalAndConfig } from './kernels/LogicalAnd.ts';
import { selectConfig } from './kernels/Select.ts';

export const NATIVE_BACKEND = 'native';

/** The kernels the addon implements (each falls back to the cpu kernel for cases it declines). */
export const nativeKernels: readonly tf.KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeConfig,
  fusedDepthwiseConv2DConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  maxPoolConfig,
  avgPoolConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  fusedBatchNormConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  softmaxConfig,
  sumConfig,
  reluConfig,
  relu6Config,
  eluConfig,
  sigmoidConfig,
  leakyReluConfig,
  // Elementwise arithmetic: bias adds, ReLU masks, loss and gradient arithmetic in training.
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  maximumConfig,
  minimumConfig,
  squaredDifferenceConfig,
  stepConfig,
  sqrtConfig,
  rsqrtConfig,
  squareConfig,
  negConfig,
  expConfig,
  logConfig,
  absConfig,
  reciprocalConfig,
  // Batch-norm moments and squeeze-and-excite pooling; padding, its gradient, and the batch-norm
  // gradient's tiling, as contiguous copies instead of per-element index arithmetic.
  meanConfig,
  sliceConfig,
  padV2Config,
  tileConfig,
  // ReLU(6.0) clipping and its gradient, as typed-array loops.
  clipByValueConfig,
  greaterEqualConfig,
  lessEqualConfig,
  logicalAndConfig,
  selectConfig,
  rangeGradConfig,
  swishConfig,
  swishGradConfig,
];

let registered = false;

/**
 * Load the addon, set its thread count, and register the `native` backend with tfjs (idempotent;
 * later calls only change the thread count). Does not select it: call tf.setBackend('native').
 * Returns the thread count in use. Throws an Error with a short reason when the addon is not
 * built or cannot load.
 */
export function registerNativeBackend(threads: number): number {
  const native = loadAddon();
  const used = native.setNumThreads(Math.max(1, Math.floor(threads)));
  if (!registered) {
    const ours = new Set(nativeKernels.map((k) => k.kernelName));
    for (const config of tf.getKernelsForBackend('cpu')) {
      if (!ours.has(config.kernelName)) tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
    }
    for (const config of nativeKernels) tf.registerKernel(config);
    // Priority 0 (cpu has 1): registering never makes tfjs pick it over what the user selected.
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
    installFusedAdam(); // tf.train.adam's optimizers; only takes effect while 'native' is the active backend
    installRangeGradients(NATIVE_BACKEND); // relu, relu6 and clip gradients in one pass, likewise
    installSwish(NATIVE_BACKEND); // tfjs-layers' 'swish' activation in one pass each way, likewise
    registered = true;
  }
  return used;
}

/** Versions and cache state of the loaded addon (for `fmnist bench` and diagnostics). */
export function nativeInfo(): ReturnType<ReturnType<typeof loadAddon>['info']> {
  return loadAddon().info();
}

/**
 * float32 time over bf16 time of one convolution's three passes at a shape typical of our models
 * (batch 64, 16x16, 64→64 channels, 3x3: 2.4 GFLOP in all), best of 3 after a warm-up each. `auto`
 * runs it on CPUs with AVX512-BF16 but no AMX, where bf16 is not always faster (~0.3 s). Leaves the
 * addon in fp32; the native backend must be the active one.
 */
export function measureBf16Speedup(): number {
  const native = loadAddon();
  const x = tf.randomUniform([64, 16, 16, 64], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 64, 64], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, 'same').sum();
  const grads = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor);
  const best = (precision: 'fp32' | 'bf16') => {
    native.setPrecision(precision);
    let fastest = Infinity;
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      tf.tidy(() => grads([x, w]).forEach((g) => g.dataSync()));
      if (i > 0) fastest = Math.min(fastest, performance.now() - t0);
    }
    return fastest;
  };
  try {
    return best('fp32') / best('bf16');
  } finally {
    native.setPrecision('fp32');
    tf.dispose([x, w]);
  }
}
