import type { Command } from 'commander';
import { emit, globals } from '../context.ts';

export function register(program: Command): void {
  const data = program.command('data').description('find, download and verify the Fashion-MNIST files');

  data.command('verify')
    .description('check the four IDX files: structure, official checksums, counts per split and class')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      const { formatVerify, verifyData } = await import('../../data/verify.ts');
      const report = verifyData(g.dataDir);
      emit(g, report, () => formatVerify(report));
    });

  data.command('fetch')
    .description('download the four official files from the official mirror (checksummed, atomic)')
    .option('--mirror <url>', 'base URL of a mirror (env FMNIST_MIRROR)')
    .action(async (opts: { mirror?: string }, cmd: Command) => {
      const g = globals(cmd);
      const { fetchFashionMnist } = await import('../../data/fetch.ts');
      const r = await fetchFashionMnist({ dir: g.dataDir, mirror: opts.mirror, progress: !g.json });
      emit(g, r, () => r.files.map((f) => `${f.status === 'present' ? 'present   ' : 'downloaded'} ${f.file} (${f.bytes} bytes, MD5 ok)`).join('\n') + `\nin ${r.dir}`);
    });
}
