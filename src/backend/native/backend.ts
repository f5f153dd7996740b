/**
 * The `native` backend object: tfjs-backend-cpu's MathBackendCPU (same tensor storage, so every
 * cpu kernel runs on it unchanged) plus a pool of the Float32Arrays the native kernels write into.
 *
 * Why a pool: a fresh typed array costs the OS a page fault and a zeroed page per 4 KiB (calloc),
 * and V8 zero-fills it again: measured ~170 µs for a 1.2 MB LeNet-5 activation, on a par with the
 * kernel that fills it. Training allocates and frees the same sizes every step, so arrays freed by
 * disposed tensors are handed to the next native kernel that needs that size (kernels overwrite
 * every element, so stale contents never show).
 *
 * An array is only recycled while nothing else can see it:
 * - only arrays a native kernel allocated are tracked (`owned`), never a user's or a cpu kernel's;
 * - an array leaves the pool's tracking for good ("escapes") when its values are read out
 *   (readSync/read, which tf.Tensor.dataSync/data/array/buffer use and which return the storage
 *   itself), or when any other tensor is registered over it or a view of it (e.g. the cpu Slice
 *   kernel returns a subarray of its input);
 * - it is recycled when its last tensor is disposed (the backend's disposeData releases it).
 */
import type * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { totalmem } from 'node:os';

/** Smaller arrays are cheap to allocate (V8 keeps them off the OS's page-fault path). */
const MIN_POOLED_BYTES = 16 * 1024;
/**
 * What the pool may hold, all sizes together (beyond it freed arrays are left to the GC): enough
 * for a whole training step's activations, which it frees at its end and needs again at the next.
 * MobileNetV2 at 96x96, batch 32 frees 1.3 GB a step; with 512 MiB the rest came back as fresh
 * arrays and its steps took ~35% longer (7.1 s against 5.2 s, 1 thread, same peak RSS: those
 * arrays are garbage waiting for the GC otherwise). An eighth of the machine's memory at most.
 */
const MAX_POOLED_BYTES = 2 * 1024 ** 3;
/** Arrays kept per length: MobileNetV2's step frees dozens of its largest size. */
const MAX_PER_LENGTH = 64;

type DataId = object;
type Values = tf.backend_util.BackendValues;

export class NativeBackend extends MathBackendCPU {
  /** Buffers a native kernel allocated and no one else can see, mapped to their one array. */
  private readonly owned = new WeakMap<ArrayBufferLike, Float32Array>();
  private readonly free = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  private readonly maxPooledBytes = Math.min(MAX_POOLED_BYTES, totalmem() / 8);
  private adopting = false;

  constructor() {
    super();
    // MathBackendCPU prints its "install tfjs-node to speed things up" advice on first use.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** A float32 array of `length` for a native kernel to fill completely (contents undefined). */
  allocFloat32(length: number): Float32Array {
    const reused = this.free.get(length)?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    const fresh = new Float32Array(length);
    if (fresh.byteLength >= MIN_POOLED_BYTES) this.owned.set(fresh.buffer, fresh);
    return fresh;
  }

  /** Register a native kernel's output (from allocFloat32) as a new tensor's storage. */
  adoptOutput(shape: number[], values: Float32Array): tf.TensorInfo {
    this.adopting = true;
    try {
      return this.makeTensorInfo(shape, 'float32', values);
    } finally {
      this.adopting = false;
    }
  }

  /** Arrays and bytes held for reuse (for diagnostics). */
  poolStats(): { arrays: number; bytes: number } {
    let arrays = 0;
    for (const list of this.free.values()) arrays += list.length;
    return { arrays, bytes: this.pooledBytes };
  }

  /** Fill every pooled array with NaN (tests: a kernel that leaves any output element unwritten shows it). */
  poisonPool(): void {
    for (const list of this.free.values()) for (const a of list) a.fill(NaN);
  }

  override write(values: Values, shape: number[], dtype: tf.DataType): DataId {
    if (!this.adopting) this.escape(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: Values, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.escape(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): Values {
    this.escape(this.data.get(dataId)?.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && this.owned.get(values.buffer) === values) this.recycle(values);
    return released;
  }

  override dispose(): void {
    this.free.clear();
    this.pooledBytes = 0;
    super.dispose();
  }

  private escape(values: Values | undefined): void {
    if (values && ArrayBuffer.isView(values)) this.owned.delete(values.buffer);
  }

  private recycle(values: Float32Array): void {
    let list = this.free.get(values.length);
    if (!list) this.free.set(values.length, (list = []));
    if (list.length >= MAX_PER_LENGTH || this.pooledBytes + values.byteLength > this.maxPooledBytes) {
      this.owned.delete(values.buffer);
      return;
    }
    list.push(values);
    this.pooledBytes += values.byteLength;
  }
}
