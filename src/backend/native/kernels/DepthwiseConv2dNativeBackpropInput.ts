/** DepthwiseConv2dNativeBackpropInput (input gradient of a depthwise conv) on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import { convBackpropInput } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const depthwiseConv2dNativeBackpropInputConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropInput, (args, native) => convBackpropInput(args, native, true));
