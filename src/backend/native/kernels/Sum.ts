/**
 * Sum over a contiguous block of axes, natively (double accumulation, threaded). tfjs reduces every
 * bias gradient this way (all axes but the last), and its cpu kernel first transposes the tensor
 * element by element in JS. Other axis sets and non-float dtypes go to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { reduceContiguous } from './reduce.ts';
import { nativeKernel } from './shared.ts';

export const sumConfig = nativeKernel(tf.Sum, (args, native) => reduceContiguous(args, native, () => 1));
