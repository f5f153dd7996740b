/**
 * Paths of our own modules as this code runs them: `.ts` sources under tsx (development, tests) or
 * compiled `.js` in dist/ (bin/fmnist.js, the installed package). For child processes and bundles
 * that are started from a module's path rather than imported.
 */
import { fileURLToPath } from 'node:url';

const fromSources = (metaUrl: string): boolean => metaUrl.endsWith('.ts');

/** The file of module `relative` (no extension, e.g. './worker_entry') beside the module at metaUrl. */
export function siblingModule(metaUrl: string, relative: string): string {
  return fileURLToPath(new URL(`${relative}${fromSources(metaUrl) ? '.ts' : '.js'}`, metaUrl));
}

/** Node options a child process needs to run such a module: tsx's loader for sources, none for dist/. */
export function moduleExecArgv(metaUrl: string): string[] {
  return fromSources(metaUrl) ? ['--import', import.meta.resolve('tsx')] : [];
}
