/// <reference lib="dom" />
/**
 * "Try it": draw or upload a picture; the run's model, loaded with tfjs from its model.json and
 * weights.bin, classifies it in the page.
 *
 * One picture at a time: what is shown (pad, 28x28 input, classes, saliency) always belongs to
 * the current picture and the current model — a new upload, a cleared pad or another model
 * replaces or clears all of it, and an answer that arrives after the picture changed is dropped.
 * A drawing is converted here by data/fashion_image.ts, the code `fmnist predict` runs; an upload
 * is converted by the server with `fmnist predict`'s own path (sharp), which returns the 28x28
 * picture: so the page and the server classify the same pixels (browser and libvips resampling
 * of a large photo differ), and the browser never decodes a picture the server refuses.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, IMAGE_SIZE } from '../../data/classes.ts';
import { greyToFashion, resizeGrey, rgbaToGrey } from '../../data/fashion_image.ts';
import { fillBatch, normalizationFor, toModelInput, type Normalization } from '../../data/preprocess.ts';
import { saliency } from './saliency.ts';
import { BLANK_PICTURE, isBlank, tooLarge } from './shared.ts';
import { oodScore, oodText, oodVerdict, type OodStats } from './ood_math.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const S = IMAGE_SIZE;
const MAX_UPLOAD = Number($('try-app').dataset.maxUpload);
let model: tf.LayersModel | undefined;
let norm: Normalization | undefined;
let run = '';
/** The model's out-of-distribution statistics (fitted by the server on first use) and its feature model. */
let ood: Promise<{ stats: OodStats; features: tf.LayersModel } | undefined> = Promise.resolve(undefined);
/** The picture on show: the pad's drawing, an uploaded file, or nothing yet. */
let source: { kind: 'drawing' } | { kind: 'upload'; file: File } | undefined;
/** Bumped whenever the picture or the model changes: an older answer is then dropped. */
let generation = 0;

function status(text: string, state?: string) {
  $('model-status').textContent = text;
  if (state) document.body.dataset.model = state;
}

/** Empty every result, with a note saying why (or nothing). */
function clearResults(note = '') {
  $('note').textContent = note;
  $('top').replaceChildren();
  $('server').textContent = '';
  delete $('server').dataset.top;
  $('ood').textContent = '';
  $('ood').className = 'muted';
  delete $('ood').dataset.unusual;
  delete document.body.dataset.predicted;
  for (const id of ['input28', 'saliency']) {
    const c = $<HTMLCanvasElement>(id);
    c.getContext('2d')!.clearRect(0, 0, c.width, c.height);
    delete c.dataset.ready;
  }
  $('input28').setAttribute('aria-label', 'no picture yet');
  $('saliency').setAttribute('aria-label', 'no saliency map yet');
}

async function load(id: string) {
  const mine = ++generation;
  model?.dispose();
  model = undefined;
  run = id;
  clearResults();
  status('loading the model…', 'loading');
  try {
    const m = await tf.loadLayersModel(`/api/runs/${id}/model.json`);
    if (mine !== generation || run !== id) {
      m.dispose();
      return;
    }
    norm = normalizationFor((m.getUserDefinedMetadata() ?? {}) as Record<string, unknown>);
    model = m;
    ood = oodOf(id, m);
    status(
      `model of run ${id} loaded (${m.countParams().toLocaleString('en')} parameters, tfjs ${tf.getBackend()})`,
      'ready',
    );
    await again(); // the picture on show, by this model
  } catch (err) {
    status(`cannot use this model: ${(err as Error).message}`, 'failed');
  }
}

function oodOf(id: string, m: tf.LayersModel): typeof ood {
  return fetch(`/api/runs/${id}/ood.json`)
    .then((r) => (r.ok ? (r.json() as Promise<OodStats>) : undefined))
    .then(
      (stats) =>
        stats && {
          stats,
          features: tf.model({ inputs: m.inputs, outputs: m.getLayer(stats.layer).input as tf.SymbolicTensor }),
        },
    )
    .catch(() => undefined);
}

/**
 * Say whether the picture is like Fashion-MNIST at all (browser/ood_math.ts): its features' distance
 * to the nearest class, against the test images'. Dropped when the picture or model changed meanwhile.
 */
async function judge(pixels: Uint8Array, mine: number) {
  $('ood').textContent = 'comparing with the test set…';
  const o = await ood;
  if (mine !== generation || !model) return;
  if (!o) {
    $('ood').textContent = '';
    return;
  }
  const x = tensorOf(pixels);
  const f = tf.tidy(() => (o.features.predict(toModelInput(model!.inputs[0].shape, x)) as tf.Tensor).dataSync());
  x.dispose();
  const v = oodVerdict(o.stats, oodScore(o.stats, f));
  $('ood').textContent = oodText(v);
  $('ood').className = v.unusual ? 'warning' : 'muted';
  $('ood').dataset.unusual = String(v.unusual);
}

/** 28x28 dataset-form pixels → a [1,28,28,1] tensor scaled as in training. */
function tensorOf(pixels: Uint8Array): tf.Tensor4D {
  const buf = new Float32Array(S * S);
  fillBatch(pixels, [0], buf, norm!);
  return tf.tensor4d(buf, [1, S, S, 1]);
}

/** Grey 28x28 pixels drawn scaled up, with an optional heat map (0..1, red) over them. */
function draw(canvas: HTMLCanvasElement, pixels: Uint8Array, heat?: Float32Array) {
  const small = document.createElement('canvas');
  small.width = S;
  small.height = S;
  const ctx = small.getContext('2d')!;
  const img = ctx.createImageData(S, S);
  const max = heat ? heat.reduce((a, b) => Math.max(a, b), 1e-12) : 1;
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

/** Classify 28x28 pixels with the page's model and show the classes and where it looked. */
function show(pixels: Uint8Array) {
  if (!model || !norm) return;
  $('note').textContent = '';
  draw($('input28'), pixels);
  const x = tensorOf(pixels);
  const probs = tf.tidy(
    () => (model!.predict(toModelInput(model!.inputs[0].shape, x)) as tf.Tensor).dataSync() as Float32Array,
  );
  const top = Array.from(probs, (p, k) => ({ k, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3);
  $('top').innerHTML = top
    .map(
      ({ k, p }) =>
        `<li data-class="${k}"><b>${CLASS_NAMES[k]}</b> ${(p * 100).toFixed(1)}%` +
        `<div class="bar" style="width:${Math.max(1, p * 200)}px"></div></li>`,
    )
    .join('');
  $('top').dataset.run = run;
  const best = CLASS_NAMES[top[0].k];
  const { map, kind } = saliency(model, x, top[0].k);
  x.dispose();
  draw($('saliency'), pixels, map);
  $('saliency-kind').textContent = kind;
  $('saliency').dataset.ready = String(map.some((v) => v > 0));
  $('input28').setAttribute('aria-label', `the 28x28 picture the model sees; run ${run} says ${best}`);
  $('saliency').setAttribute('aria-label', `${kind}: red where the model looked most for ${best}`);
  document.body.dataset.predicted = best;
  void judge(pixels, generation);
}

// ---- drawing pad: dark strokes on white, like a product photographed on white
const pad = $<HTMLCanvasElement>('pad');
const pen = pad.getContext('2d', { willReadFrequently: true })!;
function blankPad(label = 'drawing pad, empty') {
  pen.fillStyle = '#fff';
  pen.fillRect(0, 0, pad.width, pad.height);
  pad.setAttribute('aria-label', label);
}

async function classifyPad() {
  const mine = ++generation;
  source = { kind: 'drawing' };
  clearResults(); // at once: nothing of the previous picture stays on show while this one converts
  const rgba = pen.getImageData(0, 0, pad.width, pad.height);
  const pixels = await greyToFashion(rgbaToGrey(rgba.data, rgba.width, rgba.height), resizeGrey);
  if (mine !== generation) return;
  if (isBlank(pixels)) return clearResults(BLANK_PICTURE);
  show(pixels);
}

let drawing = false;
const at = (e: PointerEvent) => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  const [x, y] = at(e);
  pen.beginPath();
  pen.moveTo(x, y);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const [x, y] = at(e);
  pen.lineTo(x, y);
  pen.strokeStyle = '#222';
  pen.lineWidth = 18;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.stroke();
});
const done = () => {
  if (!drawing) return;
  drawing = false;
  pad.setAttribute('aria-label', 'drawing pad with your drawing');
  void classifyPad();
};
pad.addEventListener('pointerup', done);
pad.addEventListener('pointerleave', done);
$('clear').addEventListener('click', () => {
  ++generation;
  source = undefined;
  blankPad();
  clearResults();
});
$('predict').addEventListener('click', () => void classifyPad());

// ---- upload: converted and classified by the server's `fmnist predict` path; the page classifies the same
// 28x28 pixels

/** The uploaded picture fitted onto the pad (on white), so the pad shows what is classified. */
async function preview(file: File) {
  const bitmap = await createImageBitmap(file);
  const k = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
  const [w, h] = [bitmap.width * k, bitmap.height * k];
  blankPad(`drawing pad showing the uploaded picture ${file.name}`);
  pen.drawImage(bitmap, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
  bitmap.close();
}

async function upload(file: File) {
  const mine = ++generation;
  source = { kind: 'upload', file };
  blankPad(`drawing pad; the upload ${file.name} is being read`);
  if (file.size > MAX_UPLOAD) return clearResults(tooLarge(file.size, MAX_UPLOAD));
  clearResults('reading the picture on the server…');
  const r = await fetch(`/api/runs/${run}/predict`, {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  const j = await r.json().catch(() => ({ error: `the server answered ${r.status} without an explanation` }));
  if (mine !== generation) return; // another picture or model since
  if (!r.ok) return clearResults(`${j.error}`);
  await preview(file).catch(() => blankPad(`drawing pad; the upload ${file.name} cannot be shown here`));
  if (mine !== generation) return;
  show(Uint8Array.from(j.input as number[]));
  const server = $('server');
  const top = (j.top as { className: string; probability: number }[]).map(
    (t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`,
  );
  server.textContent = `fmnist predict on the server: ${top.join(', ')}`;
  server.dataset.top = j.top[0].className;
}

/** The picture on show, again (another model was chosen). */
async function again() {
  if (source?.kind === 'upload') return upload(source.file);
  if (source?.kind === 'drawing') return classifyPad();
}

$<HTMLInputElement>('upload').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void upload(file).catch((err) => clearResults(`the upload failed: ${(err as Error).message}`));
});

const select = $<HTMLSelectElement>('run');
select.addEventListener('change', () => void load(select.value));
blankPad();
await tf.setBackend('cpu'); // small models; works without WebGL (headless, --disable-gpu)
void load(select.value);
