/** x <= y for float32 of one shape or against one value (logic.ts); other cases on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { compareKernel } from './logic.ts';

export const lessEqualConfig = compareKernel(tf.LessEqual, 'le');
