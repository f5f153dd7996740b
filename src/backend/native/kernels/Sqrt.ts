/** Sqrt for float32 on a native loop (see addon/unary.cc); small tensors stay on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { UNARY_OPS, unaryKernel } from './elementwise.ts';

export const sqrtConfig = unaryKernel(tf.Sqrt, UNARY_OPS.sqrt);
