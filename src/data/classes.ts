/**
 * The dataset's class names and image size: plain constants with no Node imports, so the browser
 * bundle of `fmnist serve` (src/web/) shares them with the CLI.
 */
export const CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
  'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;
export const NUM_CLASSES = CLASS_NAMES.length;
export const IMAGE_SIZE = 28;
