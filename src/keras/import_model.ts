/**
 * `fmnist import`: a Keras full-model HDF5 file → a tfjs layers model — what Python's
 * `tensorflowjs_converter --input_format keras` does, without Python.
 *
 * The architecture comes from the file's `model_config` JSON (Keras 2.0–2.x and Keras 3 formats),
 * rewritten into the Keras 2 form that tfjs-layers deserialises; the weights are then assigned by
 * layer name from `model_weights` (src/keras/weights.ts). Optimizer state is not imported.
 */
import * as tf from '@tensorflow/tfjs';
import { basename } from 'node:path';
import { registerKerasLayers } from './layers.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { openKerasH5, type KerasH5 } from './h5/read.ts';
import { assignKerasWeights, type LoadWeightsReport } from './weights.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keras activation names tfjs spells differently (tfjs camel-cases the rest itself). */
const ACTIVATIONS: Record<string, string> = { silu: 'swish', swish: 'swish', hard_silu: 'hard_sigmoid' };
/** Keras initializer class names tfjs spells differently. */
const INITIALIZERS: Record<string, string> = { LecunNormal: 'LeCunNormal', LecunUniform: 'LeCunUniform', lecun_normal: 'LeCunNormal', lecun_uniform: 'LeCunUniform' };
const KNOWN_INITIALIZERS = new Set(['Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal', 'TruncatedNormal', 'Identity', 'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform', 'Orthogonal']);

/** A Keras 3 object reference ({module, class_name, config, registered_name}) as Keras 2 writes it. */
function plainObject(v: Obj): Obj {
  const out: Obj = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'module' || k === 'registered_name' || k === 'build_config' || k === 'compile_config' || k === 'shared_object_id') continue;
    out[k] = val;
  }
  return out;
}

function fixInitializer(v: Json): Json {
  if (!isObj(v) || typeof v.class_name !== 'string') return v;
  const o = plainObject(v);
  let name = INITIALIZERS[o.class_name as string] ?? (o.class_name as string);
  const config = isObj(o.config) ? { ...o.config } : {};
  if (!KNOWN_INITIALIZERS.has(name)) name = 'GlorotUniform'; // weights are loaded from the file anyway
  delete config.dtype;
  return { class_name: name, config };
}

function fixRegularizer(v: Json): Json {
  if (!isObj(v) || typeof v.class_name !== 'string') return v;
  const o = plainObject(v);
  const c = isObj(o.config) ? o.config : {};
  const l1 = typeof c.l1 === 'number' ? c.l1 : 0;
  const l2 = typeof c.l2 === 'number' ? c.l2 : 0;
  if (['L1', 'L2', 'L1L2', 'l1', 'l2', 'l1_l2'].includes(o.class_name as string)) return { class_name: 'L1L2', config: { l1, l2 } };
  return null; // unknown regularizers only matter for training; drop them
}

function fixDtype(v: Json): Json {
  // Keras 3: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}; mixed policies compute in float32 here.
  if (isObj(v)) {
    const name = isObj(v.config) && typeof v.config.name === 'string' ? v.config.name : 'float32';
    return name.includes('float') ? 'float32' : name;
  }
  return v === 'float16' || v === 'bfloat16' || v === 'mixed_float16' || v === 'mixed_bfloat16' ? 'float32' : v;
}

/** One layer's `config`, Keras 2 style, with the spellings tfjs wants. */
function fixLayerConfig(className: string, cfg: Obj): Obj {
  const c: Obj = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k.endsWith('_initializer')) c[k] = fixInitializer(v);
    else if (k.endsWith('_regularizer')) c[k] = fixRegularizer(v);
    else if (k.endsWith('_constraint')) c[k] = isObj(v) ? plainObject(v) : v;
    else if (k === 'dtype') c[k] = fixDtype(v);
    else if (k === 'activation' && typeof v === 'string') c[k] = ACTIVATIONS[v] ?? v;
    else if (k === 'activation' && isObj(v)) c[k] = typeof v.config === 'string' ? (ACTIVATIONS[v.config] ?? v.config) : v;
    else c[k] = v;
  }
  if (className === 'InputLayer') {
    if (c.batch_shape !== undefined && c.batch_input_shape === undefined) c.batch_input_shape = c.batch_shape;
    for (const k of ['batch_shape', 'ragged', 'optional', 'sparse']) delete c[k];
    if (c.input_tensor === null) delete c.input_tensor;
  }
  if (className === 'BatchNormalization') {
    if (Array.isArray(c.axis) && c.axis.length === 1) c.axis = c.axis[0];
    for (const k of ['synchronized', 'renorm', 'renorm_clipping', 'renorm_momentum', 'fused', 'virtual_batch_size', 'adjustment']) delete c[k];
  }
  if ((className === 'Conv2D' || className === 'Conv1D' || className === 'Conv3D') && typeof c.groups === 'number' && c.groups !== 1) {
    throw new UserError(`layer '${c.name}': grouped convolutions (groups=${c.groups}) are not supported by tfjs`);
  }
  if (className === 'Conv2D' || className === 'Conv1D' || className === 'Conv3D' || className === 'DepthwiseConv2D' || className === 'SeparableConv2D') delete c.groups;
  if (className === 'Dense' || className.endsWith('Conv2D')) delete c.lora_rank;
  if (className === 'Dropout' && c.noise_shape === undefined) c.noise_shape = null;
  return c;
}

/** Keras 3 inbound node `{args, kwargs}` → Keras 2 `[[layer, node, tensor, kwargs], …]`. */
function fixInboundNode(node: Json): Json {
  if (Array.isArray(node)) return node;
  if (!isObj(node)) return node;
  const refs: Json[] = [];
  const visit = (a: Json) => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (isObj(a) && a.class_name === '__keras_tensor__' && isObj(a.config) && Array.isArray(a.config.keras_history)) {
      const [layer, n, t] = a.config.keras_history as [string, number, number];
      refs.push([layer, n, t, {}]);
    }
  };
  visit(node.args ?? []);
  return refs;
}

/** Keras 3 writes a single input/output as ["name", 0, 0] rather than [["name", 0, 0]]. */
function fixIoLayers(v: Json): Json {
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string') return [v];
  return v;
}

function fixLayer(layer: Json, knownClasses: Set<string>): Obj {
  if (!isObj(layer) || typeof layer.class_name !== 'string') throw new UserError('model_config: a layer without class_name');
  const l = plainObject(layer);
  const className = l.class_name as string;
  const cfg = isObj(l.config) ? l.config : {};
  if (className === 'Sequential' || className === 'Functional' || className === 'Model') {
    return { ...fixModel(l, knownClasses), ...(l.inbound_nodes !== undefined ? { inbound_nodes: (l.inbound_nodes as Json[]).map(fixInboundNode), name: l.name ?? cfg.name ?? null } : {}) };
  }
  if (!knownClasses.has(className)) {
    const why = className === 'Lambda' || className === 'TFOpLambda' || className.startsWith('TFOp') ? ' (it runs Python code, which cannot be converted)' : '';
    throw new UserError(`layer '${cfg.name ?? l.name}' is a ${className}, which tfjs cannot build${why}`);
  }
  const out: Obj = { class_name: className, config: fixLayerConfig(className, cfg) };
  if (l.name !== undefined) out.name = l.name;
  if (l.inbound_nodes !== undefined) out.inbound_nodes = (l.inbound_nodes as Json[]).map(fixInboundNode);
  return out;
}

function fixModel(m: Obj, knownClasses: Set<string>): Obj {
  const className = m.class_name as string;
  let cfg: Json = m.config;
  if (className === 'Sequential') {
    // Keras ≤ 2.2 wrote the layer list itself as the config.
    if (Array.isArray(cfg)) cfg = { name: 'sequential', layers: cfg };
    if (!isObj(cfg) || !Array.isArray(cfg.layers)) throw new UserError('model_config: a Sequential model without layers');
    let layers = cfg.layers.map((l) => fixLayer(l, knownClasses));
    // Keras' Sequential does not list its InputLayer among model.layers; tfjs' would. Give its
    // shape to the first layer instead, as Keras ≤ 2.2 wrote it.
    if (layers.length > 1 && layers[0].class_name === 'InputLayer') {
      const inputCfg = layers[0].config as Obj;
      const first = { ...(layers[1].config as Obj) };
      if (first.batch_input_shape === undefined) first.batch_input_shape = inputCfg.batch_input_shape ?? null;
      if (first.dtype === undefined && inputCfg.dtype !== undefined) first.dtype = inputCfg.dtype;
      layers = [{ ...layers[1], config: first }, ...layers.slice(2)];
    }
    return { class_name: 'Sequential', config: { name: (cfg.name as string) ?? 'sequential', layers } };
  }
  if (!isObj(cfg) || !Array.isArray(cfg.layers)) throw new UserError(`model_config: a ${className} model without layers`);
  return {
    class_name: 'Functional',
    config: {
      name: (cfg.name as string) ?? 'model',
      layers: cfg.layers.map((l) => fixLayer(l, knownClasses)),
      input_layers: fixIoLayers(cfg.input_layers ?? []),
      output_layers: fixIoLayers(cfg.output_layers ?? []),
    },
  };
}

/** The class names tfjs can deserialise now (its own and ours). */
function knownLayerClasses(): Set<string> {
  registerKerasLayers();
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, unknown> }).classNameMap;
  return new Set(Object.keys(map));
}

/** A Keras `model_config` (any generation) as the Keras-2-style topology tfjs-layers reads. */
export function kerasConfigToTfjs(modelConfig: Record<string, unknown>): Obj {
  if (!isObj(modelConfig as Json) || typeof modelConfig.class_name !== 'string') throw new UserError('model_config has no class_name');
  return fixModel(modelConfig as Obj, knownLayerClasses());
}

export interface ImportResult {
  model: tf.LayersModel;
  kerasVersion: string | null;
  backend: string | null;
  weights: LoadWeightsReport;
  /** Whether the output is a probability distribution (ends in softmax). */
  softmaxOutput: boolean;
}

function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const act = (last.getConfig() as { activation?: string }).activation;
  return act === 'softmax';
}

/** Build the tfjs model described by an opened Keras full-model file and give it the file's weights. */
export interface ImportOptions {
  /** Change the topology before the model is built (e.g. another input size). */
  topology?: (t: Obj) => Obj;
}

export async function importFromH5(h: KerasH5, opts: ImportOptions = {}): Promise<ImportResult> {
  const file = basename(h.path);
  if (!h.modelConfig) throw new UserError(`${file}: a weights-only file (no model_config): load it as the weights of a matching model, or import a file saved with model.save()`);
  let topology: Obj;
  try {
    topology = kerasConfigToTfjs(h.modelConfig);
    if (opts.topology) topology = opts.topology(topology);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${file}: ${err.message}`);
    throw err;
  }
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  } catch (err) {
    throw new UserError(`${file}: tfjs cannot build this architecture (${errorMessage(err).split('\n')[0]})`);
  }
  const weights = assignKerasWeights(model, h);
  return { model, kerasVersion: h.kerasVersion, backend: h.backend, weights, softmaxOutput: endsInSoftmax(model) };
}

/** Import a Keras full-model HDF5 file (Keras 2.0+ or 3.x) as a tfjs layers model. */
export async function importKerasModel(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const h = await openKerasH5(path);
  try {
    return await importFromH5(h, opts);
  } finally {
    h.close();
  }
}
