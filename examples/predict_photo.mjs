// Classify pictures (PNG/JPEG, any size or colour) with a saved model.
//   node examples/predict_photo.mjs RUN_DIR photo.jpg [more.png …]
import { init, openClassifier } from 'fashion-mnist-lab';

const [dir, ...images] = process.argv.slice(2);
if (!dir || !images.length) {
  console.error('usage: node examples/predict_photo.mjs RUN_DIR IMAGE…');
  process.exit(2);
}
await init();
const classifier = await openClassifier(dir);
for (const image of images) {
  const top = await classifier.classify(image, 3); // most probable first
  console.log(`${image}: ${top.map((t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`).join(', ')}`);
}
classifier.dispose();
