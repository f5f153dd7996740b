/**
 * The bench's task names and step counts: a module of their own (no tfjs) so `fmnist bench --help`
 * and the task check need not load the workloads.
 */

/** The training-step workloads: registry model, square input side, batch (the peer's TRAIN_STEPS). */
export const TRAIN_STEPS = {
  vgg16_train_step: { model: 'vgg16', side: 32, batch: 64 },
  resnet152v2_train_step: { model: 'resnet152v2', side: 32, batch: 32 },
  mobilenetv2_train_step: { model: 'mobilenetv2', side: 96, batch: 32 },
  efficientnetb1_train_step: { model: 'efficientnetb1', side: 32, batch: 32 },
} as const;
export type TrainStepTask = keyof typeof TRAIN_STEPS;
/** Untimed steps first: kernels compile, oneDNN builds its primitives, memory settles. */
export const WARMUP_STEPS = 2;
export const DEFAULT_STEPS = 5;

/** Every task `fmnist bench --tasks` takes, in the order its help lists them. */
export const TASK_NAMES = ['lenet5_train_epoch', 'vgg16_forward', ...(Object.keys(TRAIN_STEPS) as TrainStepTask[]), 'resnet9_fast_epoch'] as const;
export type TaskName = 'lenet5_train_epoch' | 'vgg16_forward' | 'resnet9_fast_epoch' | TrainStepTask;
