/** Every command, registered in the order `fmnist --help` lists them. */
import type { Command } from 'commander';
import { register as bench } from './bench.ts';
import { register as data } from './data.ts';
import { register as evaluate } from './evaluate.ts';
import { register as ensemble } from './ensemble.ts';
import { register as explore } from './explore.ts';
import { register as exportCmd } from './export.ts';
import { register as importCmd } from './import.ts';
import { register as model } from './model.ts';
import { register as predict } from './predict.ts';
import { register as report } from './report.ts';
import { register as serve } from './serve.ts';
import { register as runs } from './runs.ts';
import { register as study } from './study.ts';
import { register as train } from './train.ts';
import { register as transfer } from './transfer.ts';
import { register as tune } from './tune.ts';
import { register as cv } from './cv.ts';
import { register as worker } from './worker.ts';

export function registerAll(program: Command): void {
  study(program);
  data(program);
  explore(program);
  train(program);
  transfer(program);
  tune(program);
  cv(program);
  worker(program);
  evaluate(program);
  ensemble(program);
  predict(program);
  model(program);
  runs(program);
  report(program);
  serve(program);
  importCmd(program);
  exportCmd(program);
  bench(program);
}
