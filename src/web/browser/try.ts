/// <reference lib="dom" />
/**
 * "Try it": draw or upload a picture; the run's model, loaded with tfjs from its model.json and
 * weights.bin, classifies it in the page. The picture goes through the same code as
 * `fmnist predict`: data/fashion_image.ts (Zalando's conversion) and data/preprocess.ts (scaling,
 * fitting the model's input); only decoding differs (a canvas here, sharp there).
 * Saliency: Grad-CAM on the last convolution; a model without one gets input gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, IMAGE_SIZE } from '../../data/classes.ts';
import { greyToFashion, resizeGrey, rgbaToGrey } from '../../data/fashion_image.ts';
import { fillBatch, normalizationFor, toModelInput, type Normalization } from '../../data/preprocess.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const S = IMAGE_SIZE;
let model: tf.LayersModel | undefined;
let norm: Normalization | undefined;

function status(text: string, state?: string) {
  $('model-status').textContent = text;
  if (state) document.body.dataset.model = state;
}

async function load(run: string) {
  model?.dispose();
  model = undefined;
  status('loading the model…', 'loading');
  try {
    const m = await tf.loadLayersModel(`/api/runs/${run}/model.json`);
    norm = normalizationFor((m.getUserDefinedMetadata() ?? {}) as Record<string, unknown>);
    model = m;
    status(`model of run ${run} loaded (${m.countParams().toLocaleString('en')} parameters, tfjs ${tf.getBackend()})`, 'ready');
  } catch (err) {
    status(`cannot use this model: ${(err as Error).message}`, 'failed');
  }
}

/** 28x28 dataset-form pixels → a [1,28,28,1] tensor scaled as in training. */
function tensorOf(pixels: Uint8Array): tf.Tensor4D {
  const buf = new Float32Array(S * S);
  fillBatch(pixels, [0], buf, norm!);
  return tf.tensor4d(buf, [1, S, S, 1]);
}

const CONV = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * Grad-CAM (Selvaraju et al. 2017): the last convolution's activations weighted by the mean
 * gradient of the class score over each channel, ReLU, upsampled to 28x28. The layers after the
 * convolution are re-applied in order, which holds for chain models (LeNet-5, VGG); anything else
 * falls back to |d score / d input|.
 */
function saliency(m: tf.LayersModel, x: tf.Tensor4D, cls: number): { map: Float32Array; kind: string } {
  const convAt = m.layers.map((l) => CONV.has(l.getClassName())).lastIndexOf(true);
  const inShape = m.inputs[0].shape;
  if (convAt >= 0) {
    try {
      const map = tf.tidy(() => {
        const features = tf.model({ inputs: m.inputs, outputs: m.layers[convAt].output as tf.SymbolicTensor });
        const acts = features.predict(toModelInput(inShape, x)) as tf.Tensor4D;
        const head = (a: tf.Tensor) => m.layers.slice(convAt + 1).reduce((y, l) => l.apply(y) as tf.Tensor, a);
        const grads = tf.grad((a: tf.Tensor) => head(a).gather([cls], 1).sum())(acts);
        const weights = grads.mean([1, 2], true);
        const cam = tf.relu(acts.mul(weights).sum(-1, true)) as tf.Tensor4D;
        return tf.image.resizeBilinear(cam, [S, S]).dataSync() as Float32Array;
      });
      return { map, kind: `Grad-CAM on ${m.layers[convAt].name}` };
    } catch {
      // not a chain after the convolution: gradients below
    }
  }
  const map = tf.tidy(() => {
    const g = tf.grad((xi: tf.Tensor) => (m.apply(toModelInput(inShape, xi as tf.Tensor4D)) as tf.Tensor).gather([cls], 1).sum())(x);
    return g.abs().dataSync() as Float32Array;
  });
  return { map, kind: 'input gradients (the model has no convolution)' };
}

/** Grey 28x28 pixels drawn scaled up, with an optional heat map (0..1, red) over them. */
function draw(canvas: HTMLCanvasElement, pixels: Uint8Array, heat?: Float32Array) {
  const small = document.createElement('canvas');
  small.width = S; small.height = S;
  const ctx = small.getContext('2d')!;
  const img = ctx.createImageData(S, S);
  const max = heat ? Math.max(...heat, 1e-12) : 1;
  for (let i = 0; i < S * S; i++) {
    const v = pixels[i];
    const h = heat ? heat[i] / max : 0;
    img.data[i * 4] = Math.round(v * (1 - h) + 255 * h);
    img.data[i * 4 + 1] = Math.round(v * (1 - h) + 60 * h);
    img.data[i * 4 + 2] = Math.round(v * (1 - h));
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const big = canvas.getContext('2d')!;
  big.imageSmoothingEnabled = false;
  big.drawImage(small, 0, 0, canvas.width, canvas.height);
}

async function classify(rgba: ImageData) {
  if (!model || !norm) return;
  const pixels = await greyToFashion(rgbaToGrey(rgba.data, rgba.width, rgba.height), resizeGrey);
  draw($('input28'), pixels);
  const x = tensorOf(pixels);
  const probs = tf.tidy(() => (model!.predict(toModelInput(model!.inputs[0].shape, x)) as tf.Tensor).dataSync() as Float32Array);
  const top = Array.from(probs, (p, k) => ({ k, p })).sort((a, b) => b.p - a.p).slice(0, 3);
  $('top').innerHTML = top.map(({ k, p }) => `<li data-class="${k}"><b>${CLASS_NAMES[k]}</b> ${(p * 100).toFixed(1)}%<div class="bar" style="width:${Math.max(1, p * 200)}px"></div></li>`).join('');
  const { map, kind } = saliency(model, x, top[0].k);
  x.dispose();
  draw($('saliency'), pixels, map);
  $('saliency-kind').textContent = kind;
  $('saliency').dataset.ready = String(map.some((v) => v > 0));
  document.body.dataset.predicted = CLASS_NAMES[top[0].k];
}

// ---- drawing pad: dark strokes on white, like a product photographed on white
const pad = $<HTMLCanvasElement>('pad');
const pen = pad.getContext('2d', { willReadFrequently: true })!;
const clear = () => { pen.fillStyle = '#fff'; pen.fillRect(0, 0, pad.width, pad.height); };
clear();
let drawing = false;
const at = (e: PointerEvent) => { const r = pad.getBoundingClientRect(); return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height]; };
pad.addEventListener('pointerdown', (e) => { drawing = true; const [x, y] = at(e); pen.beginPath(); pen.moveTo(x, y); });
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  pen.lineTo(x, y); pen.strokeStyle = '#222'; pen.lineWidth = 18; pen.lineCap = 'round'; pen.lineJoin = 'round'; pen.stroke();
});
const done = () => { if (drawing) { drawing = false; void classify(pen.getImageData(0, 0, pad.width, pad.height)); } };
pad.addEventListener('pointerup', done);
pad.addEventListener('pointerleave', done);
$('clear').addEventListener('click', clear);
$('predict').addEventListener('click', () => void classify(pen.getImageData(0, 0, pad.width, pad.height)));

// ---- upload: decoded by the browser, classified here, and checked by the server's `fmnist predict` path
$<HTMLInputElement>('upload').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  const server = $('server');
  server.textContent = 'asking the server…';
  void fetch(`/api/runs/${$<HTMLSelectElement>('run').value}/predict`, { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file })
    .then(async (r) => {
      const j = await r.json();
      server.textContent = r.ok ? `fmnist predict on the server: ${j.top.map((t: { className: string; probability: number }) => `${t.className} ${(t.probability * 100).toFixed(1)}%`).join(', ')}` : `server: ${j.error}`;
      server.dataset.top = r.ok ? j.top[0].className : '';
    });
  try {
    const bitmap = await createImageBitmap(file);
    const c = document.createElement('canvas');
    c.width = bitmap.width; c.height = bitmap.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    await classify(ctx.getImageData(0, 0, c.width, c.height));
  } catch (err) {
    $('top').textContent = `not a readable image: ${(err as Error).message}`;
  }
});

const select = $<HTMLSelectElement>('run');
select.addEventListener('change', () => void load(select.value));
await tf.setBackend('cpu'); // small models; works without WebGL (headless, --disable-gpu)
void load(select.value);
