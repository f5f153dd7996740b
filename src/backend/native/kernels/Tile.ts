/**
 * Tile of a float32 tensor: one box copy (box.ts) per tile. tfjs' batch-norm gradient tiles the
 * per-channel scale over the whole batch ([1,1,1,C] → [N,H,W,C]); the cpu kernel does it a value
 * at a time with index arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { copyBox } from './box.ts';
import { f32, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

export const tileConfig = nativeKernel(tf.Tile, ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  const v = f32(backend, x);
  const { reps } = attrs as unknown as tf.TileAttrs;
  if (!v || x.shape.length === 0 || reps.length !== x.shape.length) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = outputArray(backend, sizeOf(outShape));
  if (out.length === 0) return output(backend, outShape, out);
  const lastTiled = reps.reduce((last, r, i) => (r > 1 ? i : last), -1);
  const firstWide = x.shape.findIndex((d) => d > 1);
  if (firstWide < 0 || lastTiled < firstWide) {
    // Every tiled axis comes before the input's data (the batch-norm case): the output is the
    // input repeated, written once and then doubled with copyWithin.
    out.set(v);
    for (let n = v.length; n < out.length; n *= 2) out.copyWithin(n, 0, Math.min(n, out.length - n));
    return output(backend, outShape, out);
  }
  const zero = new Array<number>(x.shape.length).fill(0);
  const tile = zero.slice();
  for (let t = 0, tiles = sizeOf(reps); t < tiles; t++) {
    copyBox(v, x.shape, zero, out, outShape, tile.map((k, i) => k * x.shape[i]), x.shape);
    for (let d = reps.length - 1; d >= 0; d--) { // next tile, last axis fastest
      if (++tile[d] < reps[d]) break;
      tile[d] = 0;
    }
  }
  return output(backend, outShape, out);
});
