/**
 * Registry entries for the Keras applications (spread into MODELS in ./index.ts): Keras' names,
 * Keras' options, Keras' ImageNet files.
 */
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

const efficientnet = (name: EfficientNetName, description: string): Entry => ({
  description,
  fashionNative: false,
  build: async (o) => (await import('./efficientnet.ts')).efficientnet(name, appOptions(o)),
});

export const KERAS_APPLICATIONS: Record<string, Entry> = {
  vgg16: {
    description: 'VGG16 as keras.applications (138,357,544 params with top, 14,714,688 without); --weights imagenet|FILE',
    fashionNative: false,
    build: async (o) => (await import('./vgg16.ts')).vgg16(appOptions(o)),
  },
  resnet50v2: resnet('resnet50v2', 'ResNet50V2 as keras.applications; --weights imagenet|FILE'),
  resnet101v2: resnet('resnet101v2', 'ResNet101V2 as keras.applications; --weights imagenet|FILE'),
  resnet152v2: resnet('resnet152v2', 'ResNet152V2 as keras.applications (60,380,648 params with top, 58,331,648 without); --weights imagenet|FILE'),
  efficientnetb0: efficientnet('efficientnetb0', 'EfficientNetB0 as keras.applications (inputs 0..255); --weights imagenet|FILE'),
  efficientnetb1: efficientnet('efficientnetb1', 'EfficientNetB1 as keras.applications (7,856,239 params with top, 6,575,239 without; inputs 0..255); --weights imagenet|FILE'),
  efficientnetb2: efficientnet('efficientnetb2', 'EfficientNetB2 as keras.applications (inputs 0..255); --weights imagenet|FILE'),
  efficientnetb3: efficientnet('efficientnetb3', 'EfficientNetB3 as keras.applications (inputs 0..255); --weights imagenet|FILE'),
  mobilenet: {
    description: 'MobileNet v1 as keras.applications, any --alpha (ImageNet weights for 0.25, 0.5, 0.75, 1.0; inputs scaled to [-1, 1]); --weights imagenet|FILE',
    fashionNative: false,
    build: async (o) => (await import('./mobilenet.ts')).mobilenet({ ...appOptions(o), alpha: o.alpha, dropout: o.dropout }),
  },
};
