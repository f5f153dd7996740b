/**
 * IDX file reader (the format of MNIST and Fashion-MNIST), gzipped or not.
 *
 * Layout: a big-endian header — magic (uint32: 0x00000803 for images, 0x00000801 for labels;
 * the third byte 0x08 says "unsigned byte" data, the fourth the number of dimensions) followed
 * by one uint32 per dimension — then the data, row-major, one byte per value.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../util/errors.ts';

export const IDX_MAGIC_IMAGES = 2051; // 0x00000803: ubyte data, 3 dims (count, rows, cols)
export const IDX_MAGIC_LABELS = 2049; // 0x00000801: ubyte data, 1 dim (count)
const GZIP_MAGIC = [0x1f, 0x8b];
/** Refuse to inflate past this (bytes): the real training images are 47,040,016 bytes. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

export interface IdxArray {
  dims: number[];
  /** The values, a view into the file's (inflated) bytes: no copy. */
  data: Uint8Array;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** The raw IDX bytes of a file, inflated if it is gzip. Errors name the file. */
export function readIdxBytes(path: string): Uint8Array {
  const name = basename(path);
  let raw: Buffer;
  try {
    if (!statSync(path).isFile()) throw new UserError(`${path}: not a file`);
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code ?? err})`);
  }
  if (raw.length === 0) throw new UserError(`${name}: file is empty`);
  if (isGzip(raw)) {
    try {
      return gunzipSync(raw, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new UserError(`${name}: inflates to more than ${MAX_INFLATED_BYTES} bytes; not a Fashion-MNIST file`);
      throw new UserError(`${name}: corrupt or truncated gzip (${code === 'Z_BUF_ERROR' ? 'unexpected end of file' : (err as Error).message}); download it again`);
    }
  }
  if (path.endsWith('.gz')) throw new UserError(`${name}: named .gz but is not gzip data; download it again`);
  return raw;
}

/** Parse IDX bytes; `expectMagic` is IDX_MAGIC_IMAGES or IDX_MAGIC_LABELS. */
export function parseIdx(bytes: Uint8Array, expectMagic: number, name: string): IdxArray {
  if (bytes.length < 8) throw new UserError(`${name}: too short for an IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectMagic) {
    const what = expectMagic === IDX_MAGIC_IMAGES ? 'images' : 'labels';
    throw new UserError(`${name}: wrong magic number ${magic} (expected ${expectMagic} for IDX ${what})`);
  }
  const nDims = magic & 0xff;
  const headerBytes = 4 + 4 * nDims;
  if (bytes.length < headerBytes) throw new UserError(`${name}: header truncated (${bytes.length} bytes, needs ${headerBytes})`);
  const dims: number[] = [];
  for (let i = 0; i < nDims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  // Compare in floating point before allocating anything: a header may claim billions of items.
  const expectedBody = dims.reduce((a, b) => a * b, 1);
  const body = bytes.length - headerBytes;
  if (body !== expectedBody) {
    throw new UserError(`${name}: header says ${dims.join('x')} = ${expectedBody} bytes of data but the file has ${body}; the file is truncated or not this format`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

export function readIdx(path: string, expectMagic: number): IdxArray {
  return parseIdx(readIdxBytes(path), expectMagic, basename(path));
}

/** Encode an IDX file (used by tests and by anyone writing subsets). */
export function encodeIdx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
