/**
 * Captioned image grids as rendered (sharp/librsvg rasterises the SVG): long captions, like the
 * "most confidently wrong" figure's, must not run into their neighbours'. Read from the PNG's
 * pixels: between two tiles' centres the caption band has a column with no ink.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeTileGrid } from './images.ts';

test("captions as long as the evaluation's stay apart from their neighbours'", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-grid-'));
  try {
    // The longest captions evaluate.ts writes: class names and a percentage.
    const tiles = Array.from({ length: 8 }, () => ({
      pixels: new Uint8Array(28 * 28).fill(90),
      width: 28,
      height: 28,
      caption: 'T-shirt/top\n→ T-shirt/top 100%',
    }));
    const png = await writeTileGrid(tiles, { columns: 8, scale: 3, captionLines: 2, base: join(dir, 'grid') });
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => data[(y * info.width + x) * info.channels];
    // Tiles: the columns of a row through their middle that are the tiles' grey.
    const tileRow = 6 + 42;
    const tileCols = Array.from({ length: info.width }, (_, x) => x).filter((x) => Math.abs(px(x, tileRow) - 90) < 10);
    const centres: number[] = [];
    let start = tileCols[0];
    tileCols.forEach((x, i) => {
      if (tileCols[i + 1] !== x + 1) {
        centres.push((start + x) / 2);
        start = tileCols[i + 1];
      }
    });
    assert.equal(centres.length, 8, 'eight tiles found');
    // Captions: the band under the tiles (84 px high, from y = 6).
    const band = Array.from({ length: 32 }, (_, i) => 6 + 84 + i);
    for (let i = 0; i + 1 < centres.length; i++) {
      const mid = Math.round((centres[i] + centres[i + 1]) / 2);
      const ink = band.filter((y) => [-1, 0, 1].some((dx) => px(mid + dx, y) < 160));
      assert.deepEqual(ink, [], `captions ${i} and ${i + 1} meet at x ${mid}`);
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});
