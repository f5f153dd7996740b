/**
 * The gradient of swish, dy·s·(1 + x·(1 − s)) with s = sigmoid(x), as one kernel of our own, for
 * float32 dy and x of one size (addon/activation_grad.cc). Called only by ../swish.ts.
 */
import { ACTIVATION_GRAD_OPS, activationGradKernel } from './elementwise.ts';

export const SWISH_GRAD = 'FmnistSwishGrad';

export const swishGradConfig = activationGradKernel(SWISH_GRAD, () => ({ op: ACTIVATION_GRAD_OPS.swish }));
