/**
 * Any PNG/JPEG → a 28x28 Fashion-MNIST-like image, the way the dataset was made (Xiao et al.
 * 2017): grey, trimmed to the object, longest side fitted into 28 px, centred, and with a dark
 * background (the dataset's products are light on black). Photos of products on a light
 * background are therefore inverted; images that already have a dark border are not.
 */
import sharp from 'sharp';
import { basename } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { IMAGE_SIZE } from '../data/source.ts';
import { UserError } from '../util/errors.ts';

/** Refuse images above this many pixels (decompression bombs); 50 MP covers any camera. */
const MAX_PIXELS = 50_000_000;

export async function imageToFashion(input: string | Buffer): Promise<Uint8Array> {
  const name = typeof input === 'string' ? basename(input) : 'upload';
  if (typeof input === 'string') {
    if (!existsSync(input)) throw new UserError(`${input}: file not found`);
    if (!statSync(input).isFile()) throw new UserError(`${input}: not a file`);
  }
  let grey: { data: Buffer; info: sharp.OutputInfo };
  try {
    const meta = await sharp(input, { limitInputPixels: MAX_PIXELS }).metadata();
    if (!meta.format || !['png', 'jpeg', 'webp', 'gif'].includes(meta.format)) throw new Error(`unsupported format ${meta.format}`);
    // Alpha → white (a product cut-out on transparency is a product on white), then grey.
    grey = await sharp(input, { limitInputPixels: MAX_PIXELS })
      .rotate() // honour EXIF orientation of photos
      .flatten({ background: '#ffffff' })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    const msg = (err as Error).message;
    throw new UserError(`${name}: not a readable PNG or JPEG image (${msg.split('\n')[0]})`);
  }
  const { data, info } = grey;
  const w = info.width;
  const h = info.height;
  // Border brightness decides the background: light border → invert to the dataset's dark one.
  let sum = 0;
  let n = 0;
  for (let x = 0; x < w; x++) { sum += data[x] + data[(h - 1) * w + x]; n += 2; }
  for (let y = 0; y < h; y++) { sum += data[y * w] + data[y * w + w - 1]; n += 2; }
  const invert = sum / n > 127;
  const pixels = Buffer.from(data);
  if (invert) for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - pixels[i];
  // Trim to the object (anything clearly above the background), keep aspect, centre in 28x28.
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (pixels[y * w + x] > 30) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
  }
  let img = sharp(pixels, { raw: { width: w, height: h, channels: 1 } });
  if (x1 >= x0 && y1 >= y0) img = sharp(await img.extract({ left: x0, top: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }).raw().toBuffer(), { raw: { width: x1 - x0 + 1, height: y1 - y0 + 1, channels: 1 } });
  const out = await img
    .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'contain', background: { r: 0, g: 0, b: 0 }, kernel: 'lanczos3' })
    .greyscale()
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, IMAGE_SIZE * IMAGE_SIZE);
}
