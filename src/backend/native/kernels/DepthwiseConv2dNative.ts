/** DepthwiseConv2dNative on oneDNN (a grouped convolution, one group per input channel). */
import * as tf from '@tensorflow/tfjs';
import { convForward } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const depthwiseConv2dNativeConfig = nativeKernel(tf.DepthwiseConv2dNative, (args, native) => convForward(args, native, true));
