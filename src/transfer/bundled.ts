/**
 * Keras' own ImageNet MobileNet 0.25 weights file, kept in the repository: the one Keras ImageNet file
 * available offline (ImageNet weights cannot be downloaded here). A module of its own (no tfjs), so the
 * study's profile table can name it without loading the transfer code.
 */
import { fileURLToPath } from 'node:url';

export const BUNDLED_MOBILENET = fileURLToPath(new URL('../../test/fixtures/keras-h5/mobilenet_2_5_224_tf_no_top.h5', import.meta.url));
