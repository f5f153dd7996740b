/**
 * Compute precision: `--precision auto|fp32|bf16` (env FMNIST_PRECISION).
 *
 * bf16 follows Keras' `mixed_bfloat16` policy on the native backend: convolutions (all three passes,
 * depthwise too) and large matrix products read bf16 copies of their inputs and weights and
 * accumulate in float32; everything tfjs stores — weights, activations, gradients, optimizer state,
 * EMA, batch-norm statistics, softmax and the loss — stays float32, so every saved model is a plain
 * float32 model (addon/common.h, "compute precision").
 *
 * bf16 only pays where the CPU multiplies bf16 natively: AMX tiles (Sapphire Rapids and later:
 * oneDNN's `avx512_core_amx`) or AVX512-BF16's dot products (Cooper Lake, AMD Zen 4:
 * `avx512_core_bf16`). Elsewhere oneDNN emulates it, slower than float32, so `bf16` is refused
 * there. `auto` takes bf16 on AMX, measures on AVX512-BF16 (a short calibration, below) and keeps
 * float32 everywhere else.
 */
import { UserError } from '../util/errors.ts';

export const PRECISIONS = ['auto', 'fp32', 'bf16'] as const;
export type PrecisionSetting = (typeof PRECISIONS)[number];
export type Precision = Exclude<PrecisionSetting, 'auto'>;

/** oneDNN's names (dnnl::get_effective_cpu_isa) of the instruction sets with native bf16 arithmetic. */
export const AMX_ISA = 'avx512_core_amx';
export const AVX512_BF16_ISA = 'avx512_core_bf16';

/** What runs, and why (the backend line prints `why`). */
export interface PrecisionChoice {
  precision: Precision;
  why: string;
}

/** What choosePrecision needs to know about the backend that runs. */
export interface PrecisionContext {
  backend: string;
  /** oneDNN's effective ISA (native backend only). */
  isa?: string;
  /** AVX512-BF16 without AMX: float32 step time over bf16 step time, measured on this machine. */
  measureSpeedup?: () => number;
}

/** The setting from a flag value or FMNIST_PRECISION, refusing anything else in one line. */
export function parsePrecision(value: string | undefined, origin = '--precision'): PrecisionSetting {
  const v = (value ?? 'auto').trim();
  if ((PRECISIONS as readonly string[]).includes(v)) return v as PrecisionSetting;
  throw new UserError(`${origin} must be one of ${PRECISIONS.join(', ')}, got '${v}'`);
}

/** The precision `requested` means on this backend and CPU; `bf16` where it cannot run natively is a UserError. */
export function choosePrecision(requested: PrecisionSetting, ctx: PrecisionContext): PrecisionChoice {
  if (requested === 'fp32') return { precision: 'fp32', why: 'fp32 as asked' };
  if (ctx.backend !== 'native') {
    if (requested === 'bf16') throw new UserError(`--precision bf16 needs the native backend (this run uses ${ctx.backend}); use --precision fp32 or auto`);
    return { precision: 'fp32', why: `fp32: bf16 needs the native backend` };
  }
  const isa = ctx.isa ?? 'unknown';
  if (isa === AMX_ISA) return { precision: 'bf16', why: `bf16 on ${isa}` };
  if (isa === AVX512_BF16_ISA) {
    if (requested === 'bf16') return { precision: 'bf16', why: `bf16 on ${isa} as asked` };
    const speedup = ctx.measureSpeedup?.() ?? 0;
    const measured = `bf16 measured ${speedup.toFixed(2)}x fp32 on ${isa}`;
    return speedup > 1.05 ? { precision: 'bf16', why: measured } : { precision: 'fp32', why: `fp32: ${measured}` };
  }
  if (requested === 'bf16') {
    throw new UserError(`--precision bf16: this CPU has no native bf16 (oneDNN runs ${isa}; bf16 would be emulated, slower than fp32); use --precision fp32 or auto`);
  }
  return { precision: 'fp32', why: `fp32: no native bf16 on ${isa}` };
}
