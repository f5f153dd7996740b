/**
 * Mean over a contiguous block of axes: the native Sum divided by the count. Batch norm in
 * training takes the batch moments with two of these per layer over all axes but the channel
 * axis, which tfjs' cpu kernel does by a JS transpose of the whole activation (55% of a ResNet-9
 * step before this kernel, measured).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernel } from './shared.ts';
import { contiguousReduce } from './Sum.ts';

export const meanConfig = nativeKernel(tf.Mean, (args, native) => contiguousReduce(args, native, true));
