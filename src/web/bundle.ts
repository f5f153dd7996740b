/**
 * The browser code, bundled with esbuild when first asked for and kept in memory: no build step
 * for users and no committed artefact that could go stale. tfjs and our shared modules
 * (data/fashion_image.ts, data/preprocess.ts) are bundled in, so the page needs no network.
 */
import { build } from 'esbuild';
import { siblingModule } from '../util/module_file.ts';

export const ENTRIES = { try: 'browser/try', live: 'browser/live', charts: 'browser/charts' } as const;
export type Entry = keyof typeof ENTRIES;

/** The entry's file beside this module: .ts when run from src/ (tsx), .js when compiled to dist/. */
const entryFile = (entry: Entry) => siblingModule(import.meta.url, `./${ENTRIES[entry]}`);

const cache = new Map<Entry, Promise<string>>();

export function bundle(entry: Entry): Promise<string> {
  let p = cache.get(entry);
  if (!p) {
    p = build({
      entryPoints: [entryFile(entry)],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      logLevel: 'silent',
    }).then((r) => r.outputFiles[0].text);
    p.catch(() => cache.delete(entry)); // a failed build is retried on the next request
    cache.set(entry, p);
  }
  return p;
}
