/**
 * Any picture's pixels → a 28x28 Fashion-MNIST image, made the way Zalando made the dataset from
 * its product photos (Xiao et al. 2017, and the dataset's README): negate a light background
 * (products are light on black), trim the background border, resize so the longest edge is 28,
 * sharpen, extend to 28x28 with the product centred.
 *
 * No Node imports: `fmnist predict` (evaluate/image_input.ts, which decodes with sharp) and the
 * "Try it" page of `fmnist serve` (src/web/, which decodes with the browser's canvas) both run
 * this one function. Only the resampling step is passed in: the CLI resamples with sharp (libvips),
 * the browser with `resizeGrey` below, since sharp cannot run in a browser.
 */
import { IMAGE_SIZE } from './classes.ts';

export interface Grey {
  /** One byte per pixel, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Resample `img` to width×height: 'nearest' for reductions (Zalando subsampled), 'smooth' for enlargements. */
export type Resample = (img: Grey, width: number, height: number, kernel: 'nearest' | 'smooth') => Grey | Promise<Grey>;

/** Zalando trimmed "edges close to the colour of the corner pixels", close meaning within 5% of full scale. */
const TRIM_FUZZ = Math.round(0.05 * 255);

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

/**
 * Grey pixels (any size and polarity) → the 28x28 dataset form. A 28x28 image is taken as already
 * converted — a dataset image must reach the model exactly as it is in the IDX file — so it is
 * only negated when its background is light, never trimmed, resampled or sharpened again.
 */
export async function greyToFashion(img: Grey, resample: Resample): Promise<Uint8Array> {
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
  const crop = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) crop.set(px.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + cw), y * cw);
  const scale = S / Math.max(cw, ch);
  const resized = await resample({ data: crop, width: cw, height: ch },
    Math.max(1, Math.min(S, Math.round(cw * scale))), Math.max(1, Math.min(S, Math.round(ch * scale))), scale < 1 ? 'nearest' : 'smooth');
  const { data: sharpened, width: rw, height: rh } = sharpen(resized);

  // Extend to 28x28 on black, centred.
  const out = new Uint8Array(S * S);
  const left = (S - rw) >> 1;
  const top = (S - rh) >> 1;
  for (let y = 0; y < rh; y++) out.set(sharpened.subarray(y * rw, (y + 1) * rw), (top + y) * S + left);
  return out;
}

/**
 * The resampling for where sharp is not available (the browser): nearest neighbour at pixel
 * centres for reductions, bilinear for enlargements (sharp uses lanczos3 there, which differs by a
 * few levels at edges; enlargements only happen for images under 28 px).
 */
export function resizeGrey({ data, width: w, height: h }: Grey, width: number, height: number, kernel: 'nearest' | 'smooth'): Grey {
  const out = new Uint8Array(width * height);
  const sx = w / width;
  const sy = h / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (kernel === 'nearest') {
        out[y * width + x] = data[Math.min(h - 1, Math.floor((y + 0.5) * sy)) * w + Math.min(w - 1, Math.floor((x + 0.5) * sx))];
        continue;
      }
      const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const y0 = Math.floor(fy), x0 = Math.floor(fx);
      const y1 = Math.min(h - 1, y0 + 1), x1 = Math.min(w - 1, x0 + 1);
      const ty = fy - y0, tx = fx - x0;
      const top = data[y0 * w + x0] * (1 - tx) + data[y0 * w + x1] * tx;
      const bottom = data[y1 * w + x0] * (1 - tx) + data[y1 * w + x1] * tx;
      out[y * width + x] = Math.round(top * (1 - ty) + bottom * ty);
    }
  }
  return { data: out, width, height };
}

/**
 * RGBA pixels (a canvas' ImageData) → grey: transparency composited on white (a product cut out on
 * transparency is a product on white, as the CLI flattens it), then Rec. 709 luma.
 */
export function rgbaToGrey(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Grey {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const a = rgba[i * 4 + 3] / 255;
    const on = (v: number) => v * a + 255 * (1 - a);
    data[i] = Math.round(0.2126 * on(rgba[i * 4]) + 0.7152 * on(rgba[i * 4 + 1]) + 0.0722 * on(rgba[i * 4 + 2]));
  }
  return { data, width, height };
}
