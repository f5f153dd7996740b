/**
 * Words and rules the page scripts and the server share (no DOM, no Node): so the page and the
 * server say the same thing about the same picture.
 */

/** What both say for a picture with nothing on it (its 28x28 conversion is all background). */
export const BLANK_PICTURE = 'the picture is blank (one colour throughout): draw a garment or upload a photo of one';

/** A 28x28 conversion with nothing on it (greyToFashion gives all zeros for a one-colour picture). */
export const isBlank = (pixels: Uint8Array): boolean => pixels.every((v) => v === 0);

/** The refusal of an upload of `size` bytes over `limit` (the page checks before sending, the server on receipt). */
export const tooLarge = (size: number | string, limit: number): string =>
  `upload too large: ${size} bytes, the limit is ${limit} bytes (${limit / 1e6} MB)`;
