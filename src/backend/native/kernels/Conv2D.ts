/** Conv2D on oneDNN: NHWC input, HWIO filter, any strides/dilations/padding. */
import * as tf from '@tensorflow/tfjs';
import { convForward } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const conv2DConfig = nativeKernel(tf.Conv2D, (args, native) => convForward(args, native, false));
