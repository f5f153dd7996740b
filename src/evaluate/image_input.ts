/**
 * Any PNG/JPEG → a 28x28 Fashion-MNIST image, made the way Zalando made the dataset from its
 * product photos (Xiao et al. 2017, and the dataset's README): trim the background border,
 * resize so the longest edge is 28, sharpen, extend to 28x28 with the product centred, negate
 * (product light on black), 8-bit grey.
 *
 * Product photos on a light background are negated; images with a dark border already have the
 * dataset's polarity and are not. A 28x28 image is taken as already converted — a dataset image
 * written out as a PNG must reach the model exactly as it is in the IDX file, so it is only
 * negated when its background is light, never trimmed, resampled or sharpened again.
 */
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Normalization } from '../data/preprocess.ts';
import { IMAGE_SIZE } from '../data/source.ts';
import { UserError, asUserError, withPath } from '../util/errors.ts';
import { predictProbabilities } from '../models/predict.ts';

/** Refuse images above this many pixels (decompression bombs); 50 MP covers any camera. */
const MAX_PIXELS = 50_000_000;
/** Zalando trimmed "edges close to the colour of the corner pixels", close meaning within 5% of full scale. */
const TRIM_FUZZ = Math.round(0.05 * 255);

interface Grey {
  /** One byte per pixel, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * sharp's raw output as one byte per pixel. sharp hands single-band images back as 3-band sRGB
 * unless the pipeline ends in greyscale (an extract() of a 1-channel raw image comes back with 3
 * channels), and reading such a buffer as 1 channel scrambles the image into stripes — which
 * made `predict` call a trouser a dress. So every raw read goes through here and is checked.
 */
async function rawGrey(img: sharp.Sharp): Promise<Grey> {
  const { data, info } = await img.greyscale().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  if (data.length !== width * height * channels) throw new Error(`sharp returned ${data.length} bytes for ${width}x${height}x${channels}`);
  if (channels === 1) return { data: new Uint8Array(data.buffer, data.byteOffset, width * height), width, height };
  // Grey in every channel; keep the first.
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels];
  return { data: out, width, height };
}

/** Decode a file or buffer to grey pixels: EXIF orientation applied, transparency as white. */
async function decode(input: string | Buffer, name: string): Promise<Grey> {
  try {
    const meta = await sharp(input, { limitInputPixels: MAX_PIXELS }).metadata();
    if (!meta.format || !['png', 'jpeg', 'webp', 'gif'].includes(meta.format)) throw new Error(`unsupported format ${meta.format}`);
    // A product cut out on transparency is a product on white.
    return await rawGrey(sharp(input, { limitInputPixels: MAX_PIXELS }).rotate().flatten({ background: '#ffffff' }));
  } catch (err) {
    const msg = (err as Error).message;
    throw new UserError(`${name}: not a readable PNG or JPEG image (${msg.split('\n')[0]})`);
  }
}

/** The pixels of the image's outer border, each once. */
function borderPixels({ data, width: w, height: h }: Grey): Uint8Array {
  const out: number[] = [];
  for (let x = 0; x < w; x++) out.push(data[x], data[(h - 1) * w + x]);
  for (let y = 1; y < h - 1; y++) out.push(data[y * w], data[y * w + w - 1]);
  return Uint8Array.from(out);
}

function median(v: Uint8Array): number {
  const s = Uint8Array.from(v).sort();
  return s[s.length >> 1];
}

/**
 * ImageMagick's `-sharpen 1x1` (radius 1, sigma 1), the Gaussian sharpening Zalando applied after
 * resizing: minus a 3x3 Gaussian of sigma 1, centre set to twice the sum, normalised to sum 1.
 */
const SHARPEN = (() => {
  const g = (u: number, v: number) => Math.exp(-(u * u + v * v) / 2);
  let negSum = 0;
  for (let v = -1; v <= 1; v++) for (let u = -1; u <= 1; u++) negSum += g(u, v);
  const k = [-1, 0, 1].flatMap((v) => [-1, 0, 1].map((u) => (u === 0 && v === 0 ? 2 * negSum : -g(u, v))));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((x) => x / sum);
})();

/** 3x3 sharpening with the edge pixels repeated outside the image, rounded and clipped to 0..255. */
function sharpen({ data, width: w, height: h }: Grey): Grey {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -1; dx <= 1; dx++) {
          const xx = Math.min(w - 1, Math.max(0, x + dx));
          s += SHARPEN[(dy + 1) * 3 + dx + 1] * data[yy * w + xx];
        }
      }
      out[y * w + x] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return { data: out, width: w, height: h };
}

/** Grey pixels (any size and polarity) → the 28x28 dataset form. Exported for tests. */
export async function greyToFashion(img: Grey): Promise<Uint8Array> {
  const S = IMAGE_SIZE;
  const { width: w, height: h } = img;
  // The dataset's products are light on black; a light border means a product photographed on white.
  const border = borderPixels(img);
  const invert = border.reduce((a, b) => a + b, 0) / border.length > 127;
  const px = invert ? img.data.map((v) => 255 - v) : Uint8Array.from(img.data);
  if (w === S && h === S) return px;

  // Trim: everything that differs from the background level by more than the fuzz is product. The
  // border's median is that level, robust to JPEG noise and to a product touching the edge.
  const bg = median(invert ? border.map((v) => 255 - v) : border);
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (Math.abs(px[y * w + x] - bg) > TRIM_FUZZ) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
  }
  if (x1 < 0) return new Uint8Array(S * S); // nothing but background
  // The dataset's background is exactly 0 (studio white, negated); an off-white one is levelled to it.
  if (bg > 0 && bg < 255) for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.round(((px[i] - bg) * 255) / (255 - bg)));

  // Longest edge to 28, aspect kept. Reductions subsample as Zalando did ("skipping some rows and
  // columns"): that is where the dataset's broken thin straps and hard edges come from (on our
  // synthetic product photos lanczos3 did no better: 87.6% vs 88.3% of 1,000). Zalando's photos
  // were never smaller than 28; a small image is enlarged smoothly rather than in blocks.
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const scale = S / Math.max(cw, ch);
  const resized = await rawGrey(
    sharp(Buffer.from(px.buffer, px.byteOffset, px.length), { raw: { width: w, height: h, channels: 1 } })
      .extract({ left: x0, top: y0, width: cw, height: ch })
      .resize(Math.max(1, Math.min(S, Math.round(cw * scale))), Math.max(1, Math.min(S, Math.round(ch * scale))), { fit: 'fill', kernel: scale < 1 ? 'nearest' : 'lanczos3' }),
  );
  const { data: sharpened, width: rw, height: rh } = sharpen(resized);

  // Extend to 28x28 on black, centred.
  const out = new Uint8Array(S * S);
  const left = (S - rw) >> 1;
  const top = (S - rh) >> 1;
  for (let y = 0; y < rh; y++) out.set(sharpened.subarray(y * rw, (y + 1) * rw), (top + y) * S + left);
  return out;
}

/**
 * A user's image → 28x28. Every way a file can be bad (missing, a folder, unreadable, not an
 * image, truncated) is a UserError naming the file as it was given.
 */
export async function imageToFashion(input: string | Buffer): Promise<Uint8Array> {
  if (typeof input !== 'string') return greyToFashion(await decode(input, 'upload'));
  if (!existsSync(input)) throw new UserError(`${input}: file not found`);
  if (!statSync(input).isFile()) throw new UserError(`${input}: not a file`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(input);
  } catch (err) {
    throw asUserError(withPath(err, input)) ?? err;
  }
  return greyToFashion(await decode(bytes, input));
}

/**
 * Class probabilities for one PNG/JPEG (a path, or the bytes of an upload): the image converted
 * as above, then the same batched inference `fmnist evaluate` runs on the IDX images, so a
 * dataset image gets the same answer from both.
 */
export async function predictImage(model: tf.LayersModel, input: string | Buffer, norm: Normalization): Promise<Float32Array> {
  return predictProbabilities(model, await imageToFashion(input), Int32Array.of(0), norm);
}
