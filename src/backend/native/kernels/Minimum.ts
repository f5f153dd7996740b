/** Minimum for float32 on native loops (see addon/binary.cc); other dtypes and broadcasts on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { BINARY_OPS, binaryKernel } from './elementwise.ts';

export const minimumConfig = binaryKernel(tf.Minimum, BINARY_OPS.min);
