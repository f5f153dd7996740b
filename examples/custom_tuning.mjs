// A tuning loop of your own: a few learning rates for LeNet-5, each trained and scored on a held-out
// validation split; the best is then scored once on the test set. (`fmnist tune` does this with
// samplers, pruning, parallel trials and a resumable study.)
//   node examples/custom_tuning.mjs         LIMIT=2000 EPOCHS=1 node examples/custom_tuning.mjs
import { evaluateModel, init, loadFashionMnist, trainRun } from 'fashion-mnist-lab';

await init();
const data = loadFashionMnist();
const out = process.env.OUT ?? 'runs/examples/tuning';
const trials = [];
for (const lr of [3e-4, 1e-3, 3e-3]) {
  const run = await trainRun({
    settings: { model: 'lenet5', lr, epochs: Number(process.env.EPOCHS ?? 5), valSplit: 0.1, seed: 1,
      limit: process.env.LIMIT ? Number(process.env.LIMIT) : undefined },
    outDir: `${out}/lr-${lr}`,
    data,
  });
  trials.push({ lr, valAcc: run.final.valAcc, dir: run.outDir });
  console.log(`lr ${lr}: validation accuracy ${(run.final.valAcc * 100).toFixed(2)}%`);
}
const best = trials.reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
const test = await evaluateModel(best.dir, 'test', data);
console.log(`best lr ${best.lr}: test accuracy ${(test.accuracy * 100).toFixed(2)}%`);
