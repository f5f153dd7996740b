/** Elu on oneDNN's eltwise for large tensors (small ones stay on the cpu kernel). */
import * as tf from '@tensorflow/tfjs';
import { activationKernel } from './shared.ts';

export const eluConfig = activationKernel(tf.Elu, 'elu');
