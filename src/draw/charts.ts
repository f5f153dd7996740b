/**
 * Charts: a Vega-Lite spec → SVG (vega's headless renderer, no canvas needed) → PNG (sharp,
 * which rasterises SVG with librsvg). Vega-Lite because charts are then small declarative specs
 * that are easy to review; sharp because it is the well-kept image library we already use for
 * decoding user images and writing image grids.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic.ts';

export type ChartSpec = vl.TopLevelSpec;

const BASE_CONFIG = {
  background: 'white',
  font: 'DejaVu Sans',
  padding: 12,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
};

export async function chartToSvg(spec: ChartSpec): Promise<string> {
  const compiled = vl.compile({ ...spec, config: { ...BASE_CONFIG, ...(spec as { config?: object }).config } } as ChartSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Write `base.svg` and `base.png` (2x pixel density for crisp text); returns both paths. */
export async function writeChart(spec: ChartSpec, base: string): Promise<{ svg: string; png: string }> {
  const svg = await chartToSvg(spec);
  writeFileAtomic(`${base}.svg`, svg);
  const png = await sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
  writeFileAtomic(`${base}.png`, png);
  return { svg: `${base}.svg`, png: `${base}.png` };
}
