import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Normalization } from '../../data/preprocess.ts';
import { CLASS_NAMES, NUM_CLASSES } from '../../data/source.ts';
import { RUN_FILES } from '../../train/run_files.ts';
import { lockFolder } from '../../util/folder_lock.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, say, useBackend } from '../context.ts';

const SCALES = ['raw', 'unit', 'standard'] as const;
type Scale = (typeof SCALES)[number];

export function register(program: Command): void {
  program.command('import <file>')
    .description('convert a Keras full-model .h5 (Keras 2 or 3, saved with model.save) into a model folder that evaluate/predict/serve use')
    .requiredOption('--out <dir>', 'model folder to write (model.json + weights.bin)')
    .option('--input-scale <kind>', 'the pixel scaling the Keras model was trained with: raw (0..255), unit (0..1) or standard (training-set mean/std)', 'unit')
    .action(async (file: string, o: { out: string; inputScale: string }, cmd: Command) => {
      const g = globals(cmd);
      if (!SCALES.includes(o.inputScale as Scale)) throw new UserError(`--input-scale must be raw, unit or standard, got '${o.inputScale}'`);
      const scale = o.inputScale as Scale;
      const out = resolve(o.out);
      // Like train: an existing folder is never overwritten (a run's checkpoint.json and run.json would
      // describe another network than its model.json); the writer lock keeps out a concurrent writer.
      refuseExisting(out);
      const lock = lockFolder(out, 'import');
      try {
        refuseExisting(out, RUN_FILES.lock);
        await importTo(file, out, scale, g);
      } finally {
        lock.release();
      }
    });
}

/** A folder `import --out` must not write into: one that exists and holds anything (but `ignore`). */
function refuseExisting(out: string, ignore?: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`--out ${out} is a file; import writes a new model folder: choose another --out`);
  const names = readdirSync(out).filter((n) => n !== ignore);
  if (!names.length) return;
  const holds = names.includes(RUN_FILES.run) || names.includes(RUN_FILES.checkpoint) ? 'a training run' : names.includes(RUN_FILES.model) ? 'a model' : `${names.length} file${names.length === 1 ? '' : 's'}`;
  throw new UserError(`--out ${out} already exists and holds ${holds}; import never overwrites a folder: choose another --out (or delete that folder first)`);
}

async function importTo(file: string, out: string, scale: Scale, g: ReturnType<typeof globals>): Promise<void> {
  await useBackend(g, { inference: true });
  const { importKerasModel } = await import('../../keras/import_model.ts');
  const { loadFashionMnist } = await import('../../data/dataset.ts');
  const { makeNormalization } = await import('../../data/preprocess.ts');
  const { saveModel } = await import('../../store/model_io.ts');
  const r = await importKerasModel(resolve(file));
  let normalization: Normalization;
  if (scale === 'standard') {
    const data = loadFashionMnist({ dataDir: g.dataDir, splits: ['train'] });
    normalization = makeNormalization('standard', data.train.images);
  } else {
    normalization = { kind: 'unit', mean: 0, std: scale === 'raw' ? 1 / 255 : 1 };
  }
  const classes = r.model.outputs[0].shape[r.model.outputs[0].shape.length - 1];
  await saveModel(r.model, out, {
    ...(classes === NUM_CLASSES ? { classNames: CLASS_NAMES } : {}),
    inputScale: scale,
    normalization,
    source: { format: 'keras-h5', file: basename(file), kerasVersion: r.kerasVersion, backend: r.backend },
  });
  const result = {
    out,
    file: resolve(file),
    kerasVersion: r.kerasVersion,
    layers: r.model.layers.length,
    params: r.model.countParams(),
    inputShape: r.model.inputs[0].shape,
    outputShape: r.model.outputs[0].shape,
    weights: { assigned: r.weights.assigned, tensors: r.weights.tensors, values: r.weights.values },
    inputScale: scale,
    softmaxOutput: r.softmaxOutput,
  };
  if (!r.softmaxOutput) say(`note: the model's last layer is not a softmax; evaluate/predict read its outputs as probabilities`);
  if (classes !== NUM_CLASSES) say(`note: the model has ${classes} outputs, not the ${NUM_CLASSES} Fashion-MNIST classes`);
  r.model.dispose();
  emit(g, result, () =>
    `imported ${basename(file)} (Keras ${r.kerasVersion ?? '?'}): ${result.layers} layers, ${result.params.toLocaleString('en-US')} parameters, ` +
    `${result.weights.assigned} weight tensors (${result.weights.values.toLocaleString('en-US')} values)\n` +
    `input ${JSON.stringify(result.inputShape)} scaled ${scale}, output ${JSON.stringify(result.outputShape)}\nwritten to ${out}`);
}
