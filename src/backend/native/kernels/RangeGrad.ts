/**
 * The gradient of relu, relu6 and clip as one kernel of our own (not a tfjs kernel name): dy where
 * x lies in [lo, hi] (lo itself only when `loInclusive`), 0 elsewhere, both float32 of one shape.
 * Called only on the native backend, by ../gradients.ts; the pass is addon/activation_grad.cc's
 * (NaN in x is in no range: its gradient is 0, where tfjs' relu gradient, dy·step(x), gives NaN).
 */
import { ACTIVATION_GRAD_OPS, activationGradKernel } from './elementwise.ts';

export const RANGE_GRAD = 'FmnistRangeGrad';

export interface RangeGradAttrs {
  lo: number;
  hi: number;
  loInclusive: boolean;
}

export const rangeGradConfig = activationGradKernel(RANGE_GRAD, (attrs) => {
  const { lo, hi, loInclusive } = attrs as unknown as RangeGradAttrs;
  return { op: loInclusive ? ACTIVATION_GRAD_OPS.rangeClosedLow : ACTIVATION_GRAD_OPS.rangeOpenLow, lo, hi };
});
