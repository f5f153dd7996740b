// Train LeNet-5 with the default recipe, then score it on the official test set.
//   node examples/train_and_evaluate.mjs            (full data, ~2 min on 2 cores)
//   LIMIT=2000 EPOCHS=1 node examples/train_and_evaluate.mjs   (a quick look)
import { evaluateModel, init, loadFashionMnist, trainRun } from 'fashion-mnist-lab';

const backend = await init(); // native oneDNN where it is built, else wasm
console.log(`backend: ${backend.name}, ${backend.threads} threads, ${backend.precision}`);

const data = loadFashionMnist(); // FMNIST_DATA_DIR, ./data/fashion-mnist or Debian's dataset-fashion-mnist
const run = await trainRun({
  settings: {
    model: 'lenet5',
    epochs: Number(process.env.EPOCHS ?? 10),
    limit: process.env.LIMIT ? Number(process.env.LIMIT) : undefined, // a stratified subset of the training images
  },
  outDir: process.env.OUT ?? 'runs/examples/lenet5',
  data,
  progress: true,
});
console.log(`trained: ${run.epochs.length} epoch(s) in ${run.seconds.toFixed(0)} s → ${run.outDir}`);

const report = await evaluateModel(run.outDir, 'test', data);
console.log(`test accuracy ${(report.accuracy * 100).toFixed(2)}% on ${report.count} images`);
