/** Learning-rate schedules, as a pure function of the optimisation step. */
import type { TrainConfig } from '../config.ts';

/**
 * The learning rate for step `step` (0-based) of `totalSteps`: linear warm-up from lr/10 over
 * `warmupSteps`, then constant, cosine decay to lr/100, or step decay (x0.1 at 50% and 75%).
 */
export function learningRate(cfg: Pick<TrainConfig, 'lr' | 'schedule'>, step: number, totalSteps: number, warmupSteps: number): number {
  const { lr } = cfg;
  if (step < warmupSteps) return lr * (0.1 + (0.9 * step) / warmupSteps);
  const t = totalSteps > warmupSteps ? (step - warmupSteps) / (totalSteps - warmupSteps) : 1;
  switch (cfg.schedule) {
    case 'constant':
      return lr;
    case 'cosine': {
      const floor = lr / 100;
      return floor + (lr - floor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
    }
    case 'step':
      return t < 0.5 ? lr : t < 0.75 ? lr / 10 : lr / 100;
  }
}
