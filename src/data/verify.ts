/** `fmnist data verify`: find the files, check structure and content, count per split and class. */
import { CLASS_NAMES } from './source.ts';
import { classCounts, loadFashionMnist, type FileReport } from './dataset.ts';

export interface VerifyReport {
  dir: string;
  from: string;
  official: boolean;
  files: FileReport[];
  splits: { split: 'train' | 'test'; images: number; perClass: Record<string, number> }[];
}

export function verifyData(dataDir?: string): VerifyReport {
  const data = loadFashionMnist({ dataDir });
  const perClass = (labels: Uint8Array) => Object.fromEntries(classCounts(labels).map((n, c) => [CLASS_NAMES[c], n]));
  return {
    dir: data.dir,
    from: data.from,
    official: data.official,
    files: data.files,
    splits: [
      { split: 'train', images: data.train.count, perClass: perClass(data.train.labels) },
      { split: 'test', images: data.test.count, perClass: perClass(data.test.labels) },
    ],
  };
}

export function formatVerify(r: VerifyReport): string {
  const lines = [`data: ${r.dir} (${r.from})`];
  for (const f of r.files) lines.push(`  ${f.official ? 'official' : 'NOT official'}  ${f.file}  sha256 ${f.sha256.slice(0, 16)}…`);
  lines.push(r.official
    ? 'all four files are the official Fashion-MNIST data (SHA-256 of the content matches)'
    : 'valid IDX files, but not the official Fashion-MNIST data: results will not compare with published ones');
  for (const s of r.splits) {
    lines.push(`${s.split}: ${s.images.toLocaleString('en-US')} images`);
    lines.push('  ' + Object.entries(s.perClass).map(([k, v]) => `${k} ${v}`).join(', '));
  }
  return lines.join('\n');
}
