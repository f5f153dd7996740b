/**
 * Any PNG/JPEG → a 28x28 Fashion-MNIST image: decoded with sharp, then converted by the shared
 * data/fashion_image.ts (Zalando's recipe: negate a light background, trim, longest edge 28,
 * sharpen, centre), which the browser's "Try it" page of `fmnist serve` runs too; here its
 * resampling step is sharp's.
 */
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Normalization } from '../data/preprocess.ts';
import { greyToFashion as convert, type Grey, type Resample } from '../data/fashion_image.ts';
import { UserError, asUserError, withPath } from '../util/errors.ts';
import { predictProbabilities } from '../models/predict.ts';

/** Refuse images above this many pixels (decompression bombs); 50 MP covers any camera. */
const MAX_PIXELS = 50_000_000;

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

/** sharp's resampling for the shared conversion (nearest for reductions, lanczos3 for enlargements). */
const sharpResample: Resample = (img, width, height, kernel) => rawGrey(
  sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: kernel === 'nearest' ? 'nearest' : 'lanczos3' }),
);

/** Grey pixels (any size and polarity) → the 28x28 dataset form, resampled by sharp. Exported for tests. */
export function greyToFashion(img: Grey): Promise<Uint8Array> {
  return convert(img, sharpResample);
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
