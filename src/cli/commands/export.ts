import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { registerKerasLayers } from '../../keras/layers.ts';
import { loadModel } from '../../store/model_io.ts';
import { exportKerasH5 } from '../../keras/export_model.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('export <dir>')
    .description('write a saved model in another format: keras-h5 (a Keras HDF5 file that Python loads with keras.models.load_model)')
    .requiredOption('--format <name>', 'keras-h5')
    .option('--out <file>', 'file to write (default DIR/model.h5)')
    .option('--weights-only', 'only the weights (for model.load_weights on the same architecture built in Python)')
    .action(async (dir: string, o: { format: string; out?: string; weightsOnly?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      if (o.format !== 'keras-h5') throw new UserError(`--format must be keras-h5, got '${o.format}'`);
      await useBackend(g, { inference: true });
      registerKerasLayers();
      const model = await loadModel(resolve(dir));
      const out = resolve(o.out ?? join(dir, 'model.h5'));
      const r = await exportKerasH5(model, out, { weightsOnly: o.weightsOnly });
      model.dispose();
      emit(g, r, () => `wrote ${r.weightsOnly ? 'the weights' : 'the model'} as Keras HDF5: ${r.layers} layers, ${r.tensors} weight tensors (${r.values.toLocaleString('en-US')} values) → ${r.path}`);
    });
}
