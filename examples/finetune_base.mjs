// Transfer learning: nsfwjs' ImageNet MobileNetV2 (shipped in its npm package, so it works offline),
// head first, then the whole network fine-tuned at a lower learning rate.
//   node examples/finetune_base.mjs                  (96x96 inputs: slow on 2 cores)
//   SIZE=32 LIMIT=1000 EPOCHS=1 node examples/finetune_base.mjs
import { evaluateModel, init, loadFashionMnist, trainRun } from 'fashion-mnist-lab';

await init();
const data = loadFashionMnist();
const run = await trainRun({
  settings: {
    base: 'nsfwjs:mobilenet_v2',
    mode: 'finetune', // 'features': frozen base; 'scratch': random weights
    inputSize: Number(process.env.SIZE ?? 96), // images are resized to this before the base
    headEpochs: 1,
    epochs: Number(process.env.EPOCHS ?? 3),
    limit: process.env.LIMIT ? Number(process.env.LIMIT) : undefined,
  },
  outDir: process.env.OUT ?? 'runs/examples/mobilenet_v2',
  data,
  progress: true,
});
const report = await evaluateModel(run.outDir, 'test', data);
console.log(`fine-tuned MobileNetV2: test accuracy ${(report.accuracy * 100).toFixed(2)}%`);
