/** Conv2DBackpropInput (the input gradient of conv2d, and conv2dTranspose) on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import { convBackpropInput } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const conv2DBackpropInputConfig = nativeKernel(tf.Conv2DBackpropInput, (args, native) => convBackpropInput(args, native, false));
