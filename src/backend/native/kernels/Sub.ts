/** Sub for float32 on native loops (see addon/binary.cc); other dtypes and broadcasts on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { BINARY_OPS, binaryKernel } from './elementwise.ts';

export const subConfig = binaryKernel(tf.Sub, BINARY_OPS.sub);
