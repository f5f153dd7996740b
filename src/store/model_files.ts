/** The file names of a saved tfjs layers model: a module without tfjs, so the CLI can name them cheaply. */
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
