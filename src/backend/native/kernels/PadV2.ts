/**
 * Constant padding of a float32 tensor: filled with the constant, then the input copied in by
 * contiguous runs (box.ts). Keras' ZeroPadding2D (before strided depthwise convolutions) pads this
 * way; the cpu kernel places every value through index arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { copyBox } from './box.ts';
import { f32, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

export const padV2Config = nativeKernel(tf.PadV2, ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  const v = f32(backend, x);
  const { paddings, constantValue } = attrs as unknown as tf.PadV2Attrs;
  if (!v || x.shape.length === 0 || paddings.some(([p, q]) => p < 0 || q < 0)) return null;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = outputArray(backend, sizeOf(outShape));
  out.fill(constantValue);
  copyBox(v, x.shape, new Array<number>(x.shape.length).fill(0), out, outShape, paddings.map(([p]) => p), x.shape);
  return output(backend, outShape, out);
});
