/**
 * Slice of a float32 tensor by contiguous runs (box.ts). Training produces these as the gradient
 * of padding (ZeroPadding2D before every strided depthwise convolution) and of concatenation.
 * Contiguous slices stay with the cpu kernel, which returns a view without copying.
 */
import * as tf from '@tensorflow/tfjs';
import { copyBox } from './box.ts';
import { f32, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

export const sliceConfig = nativeKernel(tf.Slice, ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  const v = f32(backend, x);
  if (!v) return null;
  const { begin, size } = attrs as unknown as tf.SliceAttrs;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.TensorInfo as tf.Tensor, b, s);
  if (sizeOf(s) === 0 || tf.slice_util.isSliceContinous(x.shape, b, s)) return null;
  const out = outputArray(backend, sizeOf(s));
  copyBox(v, x.shape, b, out, s, new Array<number>(s.length).fill(0), s);
  return output(backend, s, out);
});
