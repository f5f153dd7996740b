/** FusedDepthwiseConv2D: depthwise conv + per-channel bias + activation in one oneDNN primitive. */
import * as tf from '@tensorflow/tfjs';
import { convForward } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const fusedDepthwiseConv2DConfig = nativeKernel(tf.FusedDepthwiseConv2D, (args, native) => convForward(args, native, true));
