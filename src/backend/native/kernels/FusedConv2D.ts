/**
 * FusedConv2D (tf.fused.conv2d, which tf.layers' conv2d uses): conv + per-channel bias +
 * activation in one oneDNN primitive (bias and activation as post-ops, applied while the output
 * tile is still in registers). prelu runs afterwards on the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { convForward } from './conv.ts';
import { nativeKernel } from './shared.ts';

export const fusedConv2DConfig = nativeKernel(tf.FusedConv2D, (args, native) => convForward(args, native, false));
