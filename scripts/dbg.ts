import * as tf from '@tensorflow/tfjs';
import { parseTrainConfig } from '../src/config.ts';
import { buildClassifier } from '../src/models/classifier.ts';
import { loadFashionMnist } from '../src/data/dataset.ts';
import { fillBatch, toModelInput, modelInputShape } from '../src/data/preprocess.ts';
await tf.setBackend('cpu');
for (const size of [32, 64, 96]) {
const cfg = parseTrainConfig({ base: 'mobilenet', weights: '/work/main/test/fixtures/keras-h5/mobilenet_2_5_224_tf_no_top.h5', inputSize: size });
const c = await buildClassifier(cfg);
console.log(c.base.weights, c.preprocess, c.model.layers.length, c.body.outputs[0].shape);
const d = loadFashionMnist({ splits: ['train'] });
const buf = new Float32Array(64 * 784);
fillBatch(d.train.images, Int32Array.from({ length: 64 }, (_, i) => i), buf, { kind: 'unit', mean: 0, std: 1 });
const x = toModelInput(modelInputShape(c.body), tf.tensor4d(buf, [64, 28, 28, 1]));
const f = c.body.predict(x) as tf.Tensor;
const m = tf.moments(f, 0);
console.log(size, 'feature mean', tf.mean(m.mean).dataSync()[0], 'between-image std', tf.mean(tf.sqrt(m.variance)).dataSync()[0], 'frac zero', tf.mean(tf.cast(tf.equal(f, 0), 'float32')).dataSync()[0]);
}
