/**
 * What Slice, PadV2 and Tile share: copying a box of a row-major float32 tensor into a box of
 * another, a whole contiguous run at a time. tfjs-backend-cpu does these element by element through
 * index arithmetic (a buffer.get per value): a 32x17x17x96 → 32x16x16x96 slice took 440 ms there,
 * measured; as runs of 96 values it is well under a millisecond.
 */

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let n = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = n;
    n *= shape[d];
  }
  return s;
}

/** Below this many values a plain loop beats creating a subarray for TypedArray.set. */
const SET_MIN = 32;

/**
 * Copy the box of size `count` at `srcStart` in `src` (shape `srcShape`) to `dstStart` in `dst`
 * (shape `dstShape`). Trailing axes the box covers whole in both tensors merge into one run.
 */
export function copyBox(src: Float32Array, srcShape: readonly number[], srcStart: readonly number[], dst: Float32Array, dstShape: readonly number[], dstStart: readonly number[], count: readonly number[]): void {
  const rank = count.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  if (count.some((c) => c === 0)) return;
  let k = rank - 1;
  let run = count[k];
  while (k > 0 && count[k] === srcShape[k] && count[k] === dstShape[k]) run *= count[--k];
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let so = 0;
  let dO = 0;
  for (let d = 0; d < rank; d++) {
    so += srcStart[d] * ss[d];
    dO += dstStart[d] * ds[d];
  }
  let rows = 1;
  for (let d = 0; d < k; d++) rows *= count[d];
  const idx = new Array<number>(k).fill(0);
  for (let r = 0; r < rows; r++) {
    if (run >= SET_MIN) dst.set(src.subarray(so, so + run), dO);
    else for (let i = 0; i < run; i++) dst[dO + i] = src[so + i];
    for (let d = k - 1; d >= 0; d--) { // odometer over the axes before the run
      so += ss[d];
      dO += ds[d];
      if (++idx[d] < count[d]) break;
      so -= count[d] * ss[d];
      dO -= count[d] * ds[d];
      idx[d] = 0;
    }
  }
}
