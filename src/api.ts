/**
 * fashion-mnist-lab as a library: `import { … } from 'fashion-mnist-lab'`. The `fmnist` CLI is a
 * user of these same functions. docs/api.md shows each in use; examples/ has whole scripts.
 *
 * Start with init() (the backend: native oneDNN where built, else wasm), then load the data, train
 * or open a model, evaluate, classify. Everything runs in this process on the chosen backend.
 */

// ---- backend
export { initBackend as init, describeBackend, currentBackend, setPrecision } from './backend/select.ts';
export type { BackendInfo } from './backend/select.ts';
export { BACKENDS, type BackendName } from './backend/names.ts';
export type { Precision, PrecisionSetting } from './backend/precision.ts';

// ---- data: the four IDX files, checked against the official checksums
export { loadFashionMnist, classCounts, dataFingerprint } from './data/dataset.ts';
export type { FashionMnist } from './data/dataset.ts';
export { verifyData } from './data/verify.ts';
export type { VerifyReport } from './data/verify.ts';
export { fetchFashionMnist } from './data/fetch.ts';
export { CLASS_NAMES, NUM_CLASSES, IMAGE_SIZE } from './data/source.ts';
export { stratifiedSplit } from './data/split.ts';

// ---- models: the registry (LeNet-5, ResNet-9, Keras applications), saved models
export { MODELS, buildModel } from './models/index.ts';
export type { BuildOptions } from './models/index.ts';
export { loadModel, saveModel, readModelMetadata } from './store/model_io.ts';

// ---- training: the same settings, recipes and run folders as `fmnist train` / `fmnist transfer`
export { trainRun, type TrainRunOptions } from './train/run.ts';
export { RECIPES, recipeSettings } from './recipes.ts';
export { mergeConfig, parseTrainConfig } from './config.ts';
export type { TrainConfig } from './config.ts';
export type { TrainResult, EpochMetrics } from './train/types.ts';
export { RUN_FILES, TRAIN_ROOT, runFile } from './train/run_files.ts';

// ---- scoring a saved model
export { evaluateModel, formatEvaluation } from './evaluate/evaluate.ts';
export type { EvaluationReport } from './evaluate/evaluate.ts';
export { evaluateEnsemble } from './evaluate/ensemble.ts';
export { openClassifier, type Classifier, type ClassScore, type ImageInput } from './evaluate/classify.ts';

// ---- hyperparameter search and cross-validation (trials and folds run on a scheduler)
export { runTune, formatTrials } from './tune/tune.ts';
export type { TuneOptions, TuneResult, TrialRecord } from './tune/tune.ts';
export { defaultSpace, parseSpace } from './search/space.ts';
export { runCv, cvConfigs, formatCv } from './tune/cv.ts';
export type { CvOptions, CvResult } from './tune/cv.ts';
export { makeScheduler } from './jobs/scheduler.ts';

// ---- the run store (SQLite) and the report
export { RunStore, defaultDbPath } from './store/run_store.ts';
export { writeHtmlReport } from './report/html/report.ts';

// ---- errors the library throws for bad input (message is one line for the user; exitCode 2)
export { UserError } from './util/errors.ts';
