// The training-step workloads' networks: a Keras base under the 10-class head that trainStep
// trains from logits, the same network as the peer's where torchvision has the same one (VGG16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { TRAIN_STEPS, WORKLOADS, backboneClassifier } from './workloads.ts';
import { prepareTrainee } from '../train/step.ts';
import { MODELS } from '../models/index.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('backbone classifier: Keras base, global average pooling, logits → softmax; VGG16 has the peer\'s parameter count', async () => {
  const m = await backboneClassifier('vgg16', 32);
  assert.deepEqual(m.outputs[0].shape, [null, 10]);
  assert.deepEqual(m.layers.slice(-3).map((l) => l.name), ['global_average_pooling2d', 'logits', 'predictions']);
  assert.equal(prepareTrainee(m).fromLogits, true); // the loss is softmax cross-entropy on the logits
  // torchvision vgg16().features + Linear(512, 10), as bench/peer_pytorch.py builds it: 14,714,688 + 5,130.
  assert.equal(m.countParams(), 14_719_818);
  m.dispose();
});

test('every training-step workload is a bench task, on a registered model', () => {
  for (const [task, { model }] of Object.entries(TRAIN_STEPS)) {
    assert.ok(task in WORKLOADS, task);
    assert.equal(task, `${model}_train_step`);
    assert.ok(model in MODELS, model);
  }
});
