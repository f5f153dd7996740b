/**
 * Colours shared by the charts drawn on the server (Vega-Lite) and in the app's pages (no
 * imports here, so the browser bundle can take it).
 *
 * Kelly's 20 colours of maximum contrast (white and black left out), darkest yellows last: one per
 * run up to 20 (the comparison's limit), where vega's category10 repeats after 10.
 */
export const RUN_COLOURS = [
  '#0067a5',
  '#be0032',
  '#008856',
  '#f38400',
  '#875692',
  '#882d17',
  '#848482',
  '#e68fac',
  '#2b3d26',
  '#a1caf1',
  '#604e97',
  '#8db600',
  '#b3446c',
  '#654522',
  '#e25822',
  '#c2b280',
  '#f99379',
  '#f6a600',
  '#dcd300',
  '#f3c300',
];

/** The colour of the i-th run (0-based). */
export const runColour = (i: number): string => RUN_COLOURS[i % RUN_COLOURS.length];
