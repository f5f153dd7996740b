/** Exp for float32 on a native loop (see addon/unary.cc); small tensors stay on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { UNARY_OPS, unaryKernel } from './elementwise.ts';

export const expConfig = unaryKernel(tf.Exp, UNARY_OPS.exp);
