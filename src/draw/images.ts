/**
 * Raster figures of images: captioned grids. Each tile is a PNG (sharp) embedded in an SVG that
 * also carries the captions, and the SVG is rasterised by sharp — so text and pixels share one
 * layout and no hand-drawn font code is needed.
 */
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic.ts';

export interface Tile {
  /** Grey pixels, row-major, 0..255. */
  pixels: Uint8Array;
  width: number;
  height: number;
  caption?: string;
}

/** A grey image scaled up with nearest-neighbour (pixels stay visible), as PNG bytes. */
export async function greyPng(pixels: Uint8Array, width: number, height: number, scale = 1): Promise<Buffer> {
  const img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: 1 } });
  return (scale === 1 ? img : img.resize(width * scale, height * scale, { kernel: 'nearest' })).png().toBuffer();
}

/** Captions' font size, px. */
const CAPTION_PX = 11;
/**
 * Width of a caption line in DejaVu Sans, px, from above: its advance widths average 0.55–0.62 em
 * over letters, digits and spaces (uppercase, '%' and '→' up to 0.95 em; 0.62 covers our captions).
 */
const captionWidth = (line: string) => Math.ceil(line.length * 0.62 * CAPTION_PX);

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * A grid of tiles with captions under each, an optional title and optional row labels on the left.
 * Writes `base.png`; returns its path.
 */
export async function writeTileGrid(tiles: Tile[], opts: { columns: number; scale?: number; title?: string; rowLabels?: string[]; base: string; captionLines?: number }): Promise<string> {
  const scale = opts.scale ?? 3;
  const tw = (tiles[0]?.width ?? 28) * scale;
  const th = (tiles[0]?.height ?? 28) * scale;
  // Each column as wide as its widest caption, so captions never run into their neighbours'.
  const lines = tiles.flatMap((t) => (t.caption ?? '').split('\n'));
  const cw = Math.max(tw, ...lines.map(captionWidth));
  const captionH = opts.captionLines === 0 ? 0 : 14 * (opts.captionLines ?? 1) + 4;
  const gap = 6;
  const left = opts.rowLabels ? 110 : gap;
  const top = opts.title ? 34 : gap;
  const rows = Math.ceil(tiles.length / opts.columns);
  const width = left + opts.columns * (cw + gap);
  const height = top + rows * (th + captionH + gap);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>`];
  if (opts.title) parts.push(`<text x="${gap}" y="22" font-family="DejaVu Sans" font-size="16" font-weight="bold">${escapeXml(opts.title)}</text>`);
  for (let i = 0; i < tiles.length; i++) {
    const t = tiles[i];
    const x = left + (i % opts.columns) * (cw + gap) + (cw - tw) / 2;
    const y = top + Math.floor(i / opts.columns) * (th + captionH + gap);
    const png = await greyPng(t.pixels, t.width, t.height, scale);
    parts.push(`<image x="${x}" y="${y}" width="${tw}" height="${th}" href="data:image/png;base64,${png.toString('base64')}"/>`);
    (t.caption ?? '').split('\n').forEach((line, j) => {
      parts.push(`<text x="${x + tw / 2}" y="${y + th + 13 + 14 * j}" font-family="DejaVu Sans"`
        + ` font-size="${CAPTION_PX}" text-anchor="middle">${escapeXml(line)}</text>`);
    });
  }
  opts.rowLabels?.forEach((label, r) => {
    const y = top + r * (th + captionH + gap) + th / 2 + 4;
    parts.push(`<text x="${left - 8}" y="${y}" font-family="DejaVu Sans" font-size="12" text-anchor="end">${escapeXml(label)}</text>`);
  });
  parts.push('</svg>');
  const png = await sharp(Buffer.from(parts.join(''))).png().toBuffer();
  writeFileAtomic(`${opts.base}.png`, png);
  return `${opts.base}.png`;
}
