/**
 * Registry entries for the Keras applications (spread into MODELS in ./index.ts): Keras' names,
 * Keras' options, Keras' ImageNet files. Every variant the builders make is listed: VGG16,
 * ResNet50/101/152V2, EfficientNetB0–B7, and MobileNet (`mobilenet` takes any --alpha;
 * `mobilenet_0.25` … `mobilenet_1.00` are the widths Keras has ImageNet weights for), and MobileNetV2
 * (`mobilenetv2`, any --alpha; its ImageNet widths are the table in mobilenet_v2.ts).
 */
import { UserError } from '../util/errors.ts';
import type { ApplicationOptions } from './applications.ts';
import type { EfficientNetName } from './efficientnet.ts';
import type { ResNetV2Name } from './resnet_v2.ts';
import type { BuildOptions, ModelEntry } from './index.ts';

// Type-only: the registry's option and entry shapes (erased at run time, so no import cycle).
type Options = BuildOptions;
type Entry = ModelEntry;

const appOptions = (o: Options): ApplicationOptions => ({
  includeTop: o.includeTop,
  weights: o.weights,
  inputShape: o.inputShape,
  pooling: o.pooling,
  classes: o.classes,
  classifierActivation: o.classifierActivation,
  fastInit: o.fastInit,
});

const resnet = (name: ResNetV2Name, description: string): Entry => ({
  description,
  fashionNative: false,
  build: async (o) => (await import('./resnet_v2.ts')).resnetV2(name, appOptions(o)),
});

/** Keras' published parameter counts of EfficientNetB0–B7: [with the top, without]. */
export const EFFICIENTNET_PARAMS: Record<EfficientNetName, readonly [withTop: number, withoutTop: number]> = {
  efficientnetb0: [5_330_571, 4_049_571],
  efficientnetb1: [7_856_239, 6_575_239],
  efficientnetb2: [9_177_569, 7_768_569],
  efficientnetb3: [12_320_535, 10_783_535],
  efficientnetb4: [19_466_823, 17_673_823],
  efficientnetb5: [30_562_527, 28_513_527],
  efficientnetb6: [43_265_143, 40_960_143],
  efficientnetb7: [66_658_687, 64_097_687],
};

/** Widths with Keras ImageNet weights for MobileNet (registry names `mobilenet_0.25` … `mobilenet_1.00`), and its parameter counts at 224x224: [with the top, without]. */
export const MOBILENET_ALPHAS: Record<string, { alpha: number; params: readonly [withTop: number, withoutTop: number] }> = {
  'mobilenet_0.25': { alpha: 0.25, params: [475_544, 218_544] },
  'mobilenet_0.50': { alpha: 0.5, params: [1_342_536, 829_536] },
  'mobilenet_0.75': { alpha: 0.75, params: [2_601_976, 1_832_976] },
  'mobilenet_1.00': { alpha: 1.0, params: [4_253_864, 3_228_864] },
};

const count = (n: number) => n.toLocaleString('en-US');

const efficientnet = (name: EfficientNetName): Entry => {
  const [top, notop] = EFFICIENTNET_PARAMS[name];
  return {
    description: `EfficientNet${name.slice('efficientnet'.length).toUpperCase()} as keras.applications (${count(top)} params with top, ${count(notop)} without; inputs 0..255); --weights imagenet|FILE`,
    fashionNative: false,
    build: async (o) => (await import('./efficientnet.ts')).efficientnet(name, appOptions(o)),
  };
};

const buildMobilenet = async (o: Options, alpha = o.alpha) => (await import('./mobilenet.ts')).mobilenet({ ...appOptions(o), alpha, dropout: o.dropout });

const mobilenetAlpha = (name: string): Entry => {
  const { alpha, params: [top, notop] } = MOBILENET_ALPHAS[name];
  return {
    description: `MobileNet v1, alpha ${alpha.toFixed(2)}, as keras.applications (${count(top)} params with top, ${count(notop)} without at 224x224; inputs scaled to [-1, 1]); --weights imagenet|FILE`,
    fashionNative: false,
    build: (o) => {
      if (o.alpha !== undefined && o.alpha !== alpha) throw new UserError(`${name} has alpha ${alpha}; use 'mobilenet' for --alpha ${o.alpha}`);
      return buildMobilenet(o, alpha);
    },
  };
};

export const KERAS_APPLICATIONS: Record<string, Entry> = {
  vgg16: {
    description: 'VGG16 as keras.applications (138,357,544 params with top, 14,714,688 without); --weights imagenet|FILE',
    fashionNative: false,
    build: async (o) => (await import('./vgg16.ts')).vgg16(appOptions(o)),
  },
  resnet50v2: resnet('resnet50v2', 'ResNet50V2 as keras.applications; --weights imagenet|FILE'),
  resnet101v2: resnet('resnet101v2', 'ResNet101V2 as keras.applications; --weights imagenet|FILE'),
  resnet152v2: resnet('resnet152v2', 'ResNet152V2 as keras.applications (60,380,648 params with top, 58,331,648 without); --weights imagenet|FILE'),
  ...Object.fromEntries((Object.keys(EFFICIENTNET_PARAMS) as EfficientNetName[]).map((name) => [name, efficientnet(name)])),
  mobilenet: {
    description: 'MobileNet v1 as keras.applications, any --alpha (default 1.0; ImageNet weights for 0.25, 0.5, 0.75, 1.0; inputs scaled to [-1, 1]); --weights imagenet|FILE',
    fashionNative: false,
    build: (o) => buildMobilenet(o),
  },
  ...Object.fromEntries(Object.keys(MOBILENET_ALPHAS).map((name) => [name, mobilenetAlpha(name)])),
  mobilenetv2: {
    description: 'MobileNetV2 as keras.applications, any --alpha (default 1.0: 3,538,984 params with top, 2,257,984 without; ImageNet weights for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4; inputs scaled to [-1, 1]); --weights imagenet|FILE',
    fashionNative: false,
    build: async (o) => (await import('./mobilenet_v2.ts')).mobilenetV2({ ...appOptions(o), alpha: o.alpha }),
  },
};
