/**
 * tfjs-layers' 'swish' activation (EfficientNet's, x·sigmoid(x)) with one native pass each way.
 * tfjs computes it as mul(sigmoid(mul(x, alpha)), x): three passes forward, and its gradient, op
 * by op, seven more (Multiply, Sub, Add) — Multiply alone was ~28% of an EfficientNetB1 training
 * step's time (per-kernel profile, native). Registered under tfjs' own name, 'swish', so layers
 * built or loaded after registration use it and saved models still name the standard activation
 * (plain tfjs reads them with its own). On any other backend, for float32-less input or alpha ≠ 1,
 * it computes what tfjs does.
 */
import * as tf from '@tensorflow/tfjs';
import { SWISH } from './kernels/Swish.ts';
import { SWISH_GRAD } from './kernels/SwishGrad.ts';

/** swish(x) with its gradient as the native kernels (call only while the native backend is active). */
function nativeSwish(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: tf.engine().runKernel(SWISH, { x: xi }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => tf.engine().runKernel(SWISH_GRAD, { dy, x: sx }) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]); // tfjs types the inputs as a rest array of tensors and the save function
  return op(x);
}

let installed = false;

/** Register the swish activation (idempotent). `backendName` is the native backend's name. */
export function installSwish(backendName: string): void {
  if (installed) return;
  installed = true;
  class Swish extends tf.serialization.Serializable {
    /** tfjs' name for it: models save 'swish', and tfjs' deserializer now builds this class. */
    static className = 'swish';

    apply(x: tf.Tensor, alpha = 1): tf.Tensor {
      if (tf.getBackend() === backendName && alpha === 1 && x.dtype === 'float32') return nativeSwish(x);
      return tf.tidy(() => tf.mul(tf.sigmoid(tf.mul(x, alpha)), x));
    }

    getConfig(): tf.serialization.ConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(Swish);
}
