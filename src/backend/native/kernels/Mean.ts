/**
 * Mean over a contiguous block of axes: the native Sum, divided by the count. Batch normalisation
 * in training takes the batch moments this way (axes [0, 1, 2] of NHWC) and squeeze-and-excite
 * blocks pool with it (axes [1, 2]); the cpu kernel transposes in JS first (EfficientNetB1 at
 * 32x32, batch 32: 2 s of a 6.5 s step, measured). Other cases go to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { reduceContiguous } from './reduce.ts';
import { nativeKernel } from './shared.ts';

export const meanConfig = nativeKernel(tf.Mean, (args, native) => reduceContiguous(args, native, (reduced) => 1 / reduced));
