/** DepthwiseConv2dNativeBackpropFilter (weight gradient of a depthwise conv) on oneDNN, as HWC1. */
import * as tf from '@tensorflow/tfjs';
import { convBackpropFilter } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const depthwiseConv2dNativeBackpropFilterConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropFilter, (args, native) => convBackpropFilter(args, native, true));
