import type { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { basename, join, resolve } from 'node:path';
import { CLASS_NAMES } from '../../data/source.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, useBackend, type GlobalOptions } from '../context.ts';

interface ExportFlags { format: string; out?: string; weightsOnly?: boolean }

type Writer = (g: GlobalOptions, dir: string, model: tf.LayersModel, out: string, o: ExportFlags) => Promise<void>;

export function register(program: Command): void {
  program.command('export <dir>')
    .description('write a saved model in another format: keras-h5 (a Keras HDF5 file that Python loads with ' +
      'keras.models.load_model) or onnx (opset 13, for ONNX Runtime: image [N,28,28,1] in [0,1] → probabilities)')
    .requiredOption('--format <name>', NAMES)
    .option('--out <file>', 'file to write (default DIR/model.h5 or DIR/model.onnx)')
    .option('--weights-only', 'keras-h5 only: just the weights (for model.load_weights in Python)')
    .action(async (dir: string, o: ExportFlags, cmd: Command) => {
      const g = globals(cmd);
      if (!Object.hasOwn(FORMATS, o.format)) throw new UserError(`--format must be ${NAMES}, got '${o.format}'`);
      const format = FORMATS[o.format];
      if (o.weightsOnly && o.format !== 'keras-h5') {
        throw new UserError('--weights-only is for --format keras-h5; an ONNX file always holds the whole model');
      }
      await useBackend(g, { inference: true });
      const { registerKerasLayers } = await import('../../keras/layers.ts');
      const { loadModel } = await import('../../store/model_io.ts');
      registerKerasLayers();
      const model = await loadModel(resolve(dir));
      try {
        await format.write(g, resolve(dir), model, resolve(o.out ?? join(dir, format.file)), o);
      } finally {
        model.dispose();
      }
    });
}

const writeH5: Writer = async (g, _dir, model, out, o) => {
  const { exportKerasH5 } = await import('../../keras/export_model.ts');
  const r = await exportKerasH5(model, out, { weightsOnly: o.weightsOnly });
  emit(g, r, () => `wrote ${r.weightsOnly ? 'the weights' : 'the model'} as Keras HDF5: ${r.layers} layers, ` +
    `${r.tensors} weight tensors (${r.values.toLocaleString('en-US')} values) → ${r.path}`);
};

const writeOnnx: Writer = async (g, dir, model, out) => {
  const { exportOnnx } = await import('../../keras/export_model.ts');
  const { readModelMetadata } = await import('../../store/model_io.ts');
  const { loadFashionMnist } = await import('../../data/dataset.ts');
  const { normalizationFor } = await import('../../data/preprocess.ts');
  const { packageVersion } = await import('../../train/run_folder.ts');
  const meta = readModelMetadata(dir);
  // Standardised inputs without recorded statistics: the training set's, as evaluate computes them.
  const needsTrain = meta.inputScale === 'standard' && !meta.normalization;
  const train = needsTrain ? loadFashionMnist({ dataDir: g.dataDir, splits: ['train'] }).train.images : undefined;
  const normalization = normalizationFor(meta, train);
  const classNames = Array.isArray(meta.classNames) ? (meta.classNames as string[]) : CLASS_NAMES;
  const r = exportOnnx(model, out, {
    normalization,
    producerVersion: packageVersion(),
    metadata: {
      source: basename(dir),
      class_names: JSON.stringify(classNames),
      input_scaling: JSON.stringify(normalization),
    },
  });
  const io = `input '${r.input.name}' [${r.input.shape.join(',')}] pixel/255, ` +
    `output '${r.output.name}' [${r.output.shape.join(',')}]`;
  emit(g, r, () => `wrote the model as ONNX (opset ${r.opset}): ${r.nodes} nodes, ${r.tensors} weight tensors ` +
    `(${r.values.toLocaleString('en-US')} values); ${io} → ${r.path}`);
};

/** Each format: its default file name in the model folder, and how it is written. */
const FORMATS: Record<string, { file: string; write: Writer }> = {
  'keras-h5': { file: 'model.h5', write: writeH5 },
  onnx: { file: 'model.onnx', write: writeOnnx },
};
const NAMES = Object.keys(FORMATS).join(' or ');
