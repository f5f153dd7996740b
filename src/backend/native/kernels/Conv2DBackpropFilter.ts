/** Conv2DBackpropFilter (the weight gradient of conv2d) on oneDNN, written as HWIO. */
import * as tf from '@tensorflow/tfjs';
import { convBackpropFilter } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const conv2DBackpropFilterConfig = nativeKernel(tf.Conv2DBackpropFilter, (args, native) => convBackpropFilter(args, native, false));
