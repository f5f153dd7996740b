/**
 * Gradients that run as one native pass where tfjs composes several. tfjs' ReLU layer with maxValue
 * (MobileNetV2's ReLU(6.0)) is relu then clip, and their gradients are dy·step(x) (Step, Cast,
 * Multiply) and where(x ≥ min ∧ x ≤ max, dy, 0) (GreaterEqual, LessEqual, LogicalAnd, ZerosLike,
 * Select): seven full-size passes and output arrays per layer, ~40% of the kernel time of a
 * MobileNetV2 training step at 96x96 (per-kernel profile, native). Here each is one pass of
 * kernels/RangeGrad.ts.
 *
 * tfjs keeps one gradient registry for every backend, so these replace tfjs' gradients everywhere
 * and hand back to tfjs' own whenever the active backend is not native or the tensors not float32.
 */
import * as tf from '@tensorflow/tfjs';
import { RANGE_GRAD, type RangeGradAttrs } from './kernels/RangeGrad.ts';

/** The range whose gradient passes, per kernel, from the forward kernel's attributes. */
const RANGES: Record<string, (attrs: tf.NamedAttrMap) => RangeGradAttrs> = {
  [tf.Relu]: () => ({ lo: 0, hi: Infinity, loInclusive: false }),
  [tf.Relu6]: () => ({ lo: 0, hi: 6, loInclusive: false }),
  [tf.ClipByValue]: (attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    return { lo: clipValueMin, hi: clipValueMax, loInclusive: true };
  },
};

let installed = false;

/** Register the one-pass gradients (idempotent). `backendName` is the native backend's name. */
export function installRangeGradients(backendName: string): void {
  if (installed) return;
  installed = true;
  for (const [kernelName, range] of Object.entries(RANGES)) {
    const tfjs = tf.getGradient(kernelName);
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        if (tf.getBackend() !== backendName || Array.isArray(dy) || dy.dtype !== 'float32' || x.dtype !== 'float32') return tfjs.gradFunc(dy, saved, attrs);
        return { x: () => tf.engine().runKernel(RANGE_GRAD, { dy, x }, range(attrs) as unknown as tf.NamedAttrMap) as tf.Tensor };
      },
    });
  }
}
