/**
 * Reading Keras HDF5 files (weights-only and full-model) through h5wasm, the HDF5 C library
 * compiled to WebAssembly — no HDF5 code of our own.
 *
 * Every generation of Keras' legacy HDF5 layout is understood:
 * - Keras 2.0–2.1: `layer_names` / `weight_names` as fixed-length byte strings;
 * - TF 2.5+ (Keras 2.5+): variable-length strings, weightless layers with an empty float64
 *   `weight_names`;
 * - Keras 2.8+ / 3.x: a `top_level_model_weights` group, and Keras 3 weight paths without `:0`,
 *   prefixed by the model name (`model_weights/dense_3/sequential_1/dense_3/kernel`);
 * - attributes Keras split into chunks (`layer_names0`, `layer_names1`, …) when over 64 KB.
 *
 * A full-model file keeps its weights under `model_weights` and its architecture as JSON in the
 * root attribute `model_config`; a weights-only file keeps the layers at the root.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError, errorMessage } from '../../util/errors.ts';

type H5Module = typeof import('h5wasm');
type H5Group = import('h5wasm').Group;
type H5Dataset = import('h5wasm').Dataset;

let h5: Promise<H5Module> | undefined;

/** What the HDF5 library printed since the last `takeHdf5Diagnostics()`. */
let diagnostics = '';

/**
 * h5wasm, loaded (and its WebAssembly compiled) on first use only.
 *
 * h5wasm's Node build runs on Emscripten's NODERAWFS: HDF5's file driver reads and writes the real
 * files with fs.readSync/fs.writeSync, and on a failure (a full disk, a read-only folder, a damaged
 * file) HDF5 prints its error stack ("HDF5-DIAG: …", tens to hundreds of lines) to the process'
 * stdout/stderr through the same FS — and carries on. So every write the library makes to fd 1 and
 * 2 is captured here instead of reaching the terminal; callers turn it into one line
 * (`hdf5Failure`) or an error of their own.
 */
export async function h5wasm(): Promise<H5Module> {
  h5 ??= (async () => {
    const mod = (await import('h5wasm/node')) as unknown as H5Module & { default?: H5Module; FS?: EmscriptenFs };
    const lib = (mod.default ?? mod) as H5Module;
    await lib.ready;
    captureStdio(mod.FS);
    return lib;
  })();
  return h5;
}

interface EmscriptenStream { fd?: number; nfd?: number }
interface EmscriptenFs { write: (stream: EmscriptenStream, buffer: Int8Array | Uint8Array, offset: number, length: number, ...rest: unknown[]) => number }

function captureStdio(fs: EmscriptenFs | undefined): void {
  if (!fs || typeof fs.write !== 'function') return;
  const write = fs.write;
  fs.write = function (stream, buffer, offset, length, ...rest) {
    const fd = stream?.fd ?? stream?.nfd;
    if (fd === 1 || fd === 2) {
      if (diagnostics.length < 1_000_000) diagnostics += Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).toString('utf8');
      return length;
    }
    return write.call(this, stream, buffer, offset, length, ...rest);
  };
}

/** Everything HDF5 printed since the last call (and forget it). */
export function takeHdf5Diagnostics(): string {
  const text = diagnostics;
  diagnostics = '';
  return text;
}

/** The errno names of the system errors HDF5 reports by their text. */
const SYSTEM_ERRORS: [RegExp, string][] = [
  [/no space left/i, 'ENOSPC'], [/quota exceeded/i, 'EDQUOT'], [/read-only file system/i, 'EROFS'],
  [/permission denied/i, 'EACCES'], [/operation not permitted/i, 'EPERM'], [/is a directory/i, 'EISDIR'],
  [/not a directory/i, 'ENOTDIR'], [/no such file or directory/i, 'ENOENT'], [/file too large/i, 'EFBIG'],
];

/**
 * HDF5's error stack as one error: a system error (full disk, read-only folder, …) as a Node-style
 * error with its errno code and `path` (so the CLI names the file and says what to do), anything
 * else as a UserError naming `path` with HDF5's innermost message. Undefined when `text` holds no error.
 */
export function hdf5Failure(text: string, path: string, doing: string): Error | undefined {
  if (!/HDF5-DIAG|error/i.test(text)) return undefined;
  const sys = text.match(/error message = '([^']+)'/)?.[1];
  const code = sys ? SYSTEM_ERRORS.find(([re]) => re.test(sys))?.[1] : undefined;
  if (code) return Object.assign(new Error(`${path}: ${sys}`), { code, path });
  // The innermost frame says what actually failed ("#012: … in H5FD__sec2_read(): addr overflow …").
  const frames = [...text.matchAll(/#\d+: .*? in ([\w]+\(\)): (.*)/g)];
  const last = frames.at(-1);
  const why = sys ?? (last ? last[2].replace(/,.*$/, '').trim() : text.trim().split('\n')[0]);
  return new UserError(`${path}: ${doing} failed: ${why}`);
}

export interface KerasWeight {
  /** The name Keras gave it, e.g. `conv1/kernel:0` (Keras 2) or `sequential_1/dense_3/kernel` (Keras 3). */
  name: string;
  shape: number[];
  dtype: string;
  /** Read the values (as float32) from the file. */
  read(): Float32Array;
}

export interface KerasLayerWeights {
  name: string;
  weights: KerasWeight[];
}

export interface KerasH5 {
  path: string;
  kerasVersion: string | null;
  backend: string | null;
  /** Parsed `model_config` of a full-model file, else null. */
  modelConfig: Record<string, unknown> | null;
  trainingConfig: Record<string, unknown> | null;
  /** Every layer named in `layer_names`, in the file's order (weightless ones with no weights). */
  layers: KerasLayerWeights[];
  /** Weights of `top_level_model_weights` (Keras 3), usually none. */
  topLevelWeights: KerasWeight[];
  /** Close the file; `read()` fails after this. */
  close(): void;
}

/** An HDF5 attribute value as a list of strings (fixed- or variable-length, bytes or text, possibly empty). */
export function attrStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const clean = (s: string) => s.replace(/\0+$/, '');
  if (typeof value === 'string') return [clean(value)];
  if (value instanceof Uint8Array) return [clean(new TextDecoder().decode(value))];
  if (ArrayBuffer.isView(value)) return (value as unknown as ArrayLike<unknown>).length === 0 ? [] : Array.from(value as unknown as ArrayLike<unknown>, String);
  if (Array.isArray(value)) return value.flatMap((v) => attrStrings(v));
  return [String(value)];
}

/** A string attribute, joined from Keras' chunks (`name0`, `name1`, …) when it was split. */
function readStringsAttr(group: H5Group, name: string): string[] | null {
  const attrs = group.attrs;
  if (name in attrs) return attrStrings(attrs[name].value);
  if (`${name}0` in attrs) {
    const out: string[] = [];
    for (let i = 0; `${name}${i}` in attrs; i++) out.push(...attrStrings(attrs[`${name}${i}`].value));
    return out;
  }
  return null;
}

function readJsonAttr(group: H5Group, name: string, path: string): Record<string, unknown> | null {
  const parts = readStringsAttr(group, name);
  if (!parts || parts.length === 0) return null;
  try {
    return JSON.parse(parts.join('')) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${path}: attribute '${name}' is not valid JSON (${errorMessage(err)})`);
  }
}

function toFloat32(value: unknown, where: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array || value instanceof Int32Array || value instanceof Int16Array || value instanceof Int8Array || value instanceof Uint8Array || value instanceof Uint16Array || value instanceof Uint32Array) {
    return Float32Array.from(value as ArrayLike<number>);
  }
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float32Array.from(value as ArrayLike<bigint>, (v) => Number(v));
  if (typeof value === 'number') return Float32Array.of(value);
  if (typeof value === 'bigint') return Float32Array.of(Number(value));
  if (typeof value === 'boolean') return Float32Array.of(value ? 1 : 0);
  throw new UserError(`${where}: cannot read this dataset as numbers`);
}

function datasetWeight(ds: H5Dataset, name: string, where: string): KerasWeight {
  const meta = ds.metadata as { type: number; size: number };
  // h5wasm returns raw bytes for float16 (there is no Float16Array); decode them here.
  const isHalf = meta.type === 1 && meta.size === 2;
  return {
    name,
    shape: [...(ds.shape ?? [])],
    dtype: isHalf ? '<e' : String(ds.dtype),
    read: () => {
      takeHdf5Diagnostics();
      let values: Float32Array;
      try {
        values = isHalf ? halfToFloat32(ds.value as unknown as Uint8Array | Uint16Array) : toFloat32(ds.value, where);
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`${where}: cannot read the values, the file is truncated or damaged (${errorMessage(err).split('\n')[0]})`);
      }
      const diag = takeHdf5Diagnostics();
      if (diag) throw new UserError(`${where}: cannot read the values, the file is truncated or damaged (${hdf5Failure(diag, where, 'reading')?.message.replace(`${where}: reading failed: `, '') ?? 'HDF5 error'})`);
      return values;
    },
  };
}

function halfToFloat32(raw: Uint8Array | Uint16Array): Float32Array {
  const u16 = raw instanceof Uint16Array ? raw : new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  const out = new Float32Array(u16.length);
  for (let i = 0; i < u16.length; i++) {
    const h = u16[i];
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

function layerWeights(wg: H5Group, layerName: string, path: string): KerasWeight[] {
  const g = wg.get(layerName);
  if (!g) throw new UserError(`${path}: layer '${layerName}' is listed in layer_names but has no group`);
  if (!('keys' in g)) throw new UserError(`${path}: '${layerName}' is not a group`);
  const names = readStringsAttr(g as H5Group, 'weight_names') ?? [];
  return names.map((wn) => {
    const ds = (g as H5Group).get(wn);
    if (!ds || !('shape' in ds)) throw new UserError(`${path}: layer '${layerName}' names weight '${wn}' but the file has no such dataset`);
    return datasetWeight(ds as H5Dataset, wn, `${path}: ${layerName}/${wn}`);
  });
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the file carries the HDF5 signature (at 0, 512, 1024, 2048, … where a user block may push it). */
export function looksLikeHdf5(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Open a Keras HDF5 file (weights-only or full model). Call `close()` when done. */
export async function openKerasH5(file: string): Promise<KerasH5> {
  return openKerasH5With(await h5wasm(), file);
}

/**
 * `openKerasH5` with h5wasm already loaded (synchronous: for checks inside an atomic write).
 * HDF5's diagnostics never reach the terminal: a damaged or truncated file is one error naming it.
 */
export function openKerasH5With(lib: H5Module, file: string): KerasH5 {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`${file}: no such file`);
  // Checked here so that a file of another kind gets a plain answer.
  if (!looksLikeHdf5(path)) throw new UserError(`${file}: not an HDF5 file (no HDF5 signature)`);
  const damaged = (err?: unknown) => {
    const diag = takeHdf5Diagnostics();
    const why = hdf5Failure(diag, file, 'reading')?.message.replace(`${file}: reading failed: `, '') ?? (err ? errorMessage(err).split('\n')[0] : 'unreadable');
    return new UserError(`${file}: not a readable HDF5 file, truncated or damaged (${why}); export or download it again`);
  };
  takeHdf5Diagnostics();
  let f: InstanceType<H5Module['File']>;
  try {
    f = new lib.File(path, 'r');
  } catch (err) {
    throw damaged(err);
  }
  if (f.file_id < 0n) throw damaged();
  try {
    const rootKeys = f.keys();
    const wg = rootKeys.includes('model_weights') ? (f.get('model_weights') as H5Group) : (f as H5Group);
    const layerNames = readStringsAttr(wg, 'layer_names');
    if (!layerNames) {
      if (takeHdf5Diagnostics()) throw damaged();
      const hint = rootKeys.includes('layers') || rootKeys.includes('_layer_checkpoint_dependencies') ? " (it looks like a Keras 3 '.weights.h5' file; save with model.save('x.h5') or save_weights('x.h5') in the legacy HDF5 format)" : '';
      throw new UserError(`${file}: not a Keras HDF5 file: no 'layer_names' attribute${hint}`);
    }
    const attr = (g: H5Group, n: string) => (readStringsAttr(g, n) ?? [null])[0] ?? null;
    const layers = layerNames.map((name) => ({ name, weights: layerWeights(wg, name, file) }));
    const top = wg.keys().includes('top_level_model_weights') ? layerWeights(wg, 'top_level_model_weights', file) : [];
    const h: KerasH5 = {
      path,
      kerasVersion: attr(f as H5Group, 'keras_version') ?? attr(wg, 'keras_version'),
      backend: attr(f as H5Group, 'backend') ?? attr(wg, 'backend'),
      modelConfig: readJsonAttr(f as H5Group, 'model_config', file),
      trainingConfig: readJsonAttr(f as H5Group, 'training_config', file),
      layers,
      topLevelWeights: top,
      close: () => f.close(),
    };
    if (takeHdf5Diagnostics()) throw damaged();
    return h;
  } catch (err) {
    try { f.close(); } catch { /* the file is already unusable */ }
    takeHdf5Diagnostics();
    if (err instanceof UserError) throw err;
    throw damaged(err);
  }
}

/** Open, use, and always close. */
export async function withKerasH5<T>(file: string, fn: (h: KerasH5) => Promise<T> | T): Promise<T> {
  const h = await openKerasH5(file);
  try {
    return await fn(h);
  } finally {
    h.close();
  }
}
