/** The backends `--backend` accepts: a module of its own so the CLI can check the flag without loading tfjs. */
export const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];
