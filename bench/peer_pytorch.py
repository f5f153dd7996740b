#!/usr/bin/python3
"""fashion-mnist-lab's PyTorch peer: the workloads of `fmnist bench`, done in PyTorch on this CPU.

`fmnist bench` (src/bench/bench.ts) and scripts/measure-native.ts run this script with Debian's
/usr/bin/python3 and set its figures beside ours. It needs python3-torch and python3-numpy
(sudo apt-get install python3-torch python3-numpy) and, for the LeNet-5 tasks, the Fashion-MNIST
IDX files, gzipped or not, from --data-dir, else $FMNIST_DATA_DIR, else ./data/fashion-mnist,
else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).

    /usr/bin/python3 bench/peer_pytorch.py [--tasks a,b] [--threads N] [--data-dir DIR]
        [--batch 64] [--steps 5] [--accuracy] [--epochs 10] [--precision fp32|bf16] [--list]

It prints one JSON object per line per task, e.g.
    {"peer": "pytorch", "version": "2.x", "threads": 2, "precision": "fp32", "task": "vgg16_forward",
     "seconds": 1.9, "images_per_s": 134.7, "input": [32, 32, 3], "batch": 256}
Every line carries peer, version, threads, precision, task; timed tasks add seconds and images_per_s.

--precision bf16 is PyTorch's automatic mixed precision on the CPU, its counterpart of Keras'
`mixed_bfloat16` and of our `--precision bf16`: every forward pass and loss runs under
torch.autocast(device_type="cpu", dtype=torch.bfloat16) (backward outside it, as PyTorch
recommends: autograd runs each op's backward in the dtype of its forward), weights and optimizer
state stay float32. The test accuracies are computed under autocast too, as ours are in bf16.
Peak memory is not printed here: bench.ts runs this file under a wrapper that reads getrusage
once the script returns, so it must return from main() normally (errors exit with one line).

Tasks (TASKS below; a new workload is one more entry there):
  lenet5_train_epoch    LeNet-5 (conv 6@5x5 same, maxpool 2, conv 16@5x5 valid, maxpool 2, dense
                        120, 84, 10; ReLU), Adam 1e-3, batch --batch, over all training images;
                        the second epoch is timed (the first warms caches)
  vgg16_forward         VGG16 convolutional base (Keras include_top=False) forward pass,
                        3x32x32 inputs, batch 256: one warm-up pass, then one timed pass
  lenet5_test_accuracy  LeNet-5 as above trained --epochs epochs, accuracy on the test images
                        (with --accuracy, or named in --tasks; shares the training run above)
  *_train_step          one training step of a seed backbone (TRAIN_STEPS below), torchvision's
                        network without its classifier, global average pooling, a 10-class
                        Linear head, cross-entropy, Adam 1e-3, random inputs: WARMUP_STEPS untimed
                        steps, then --steps timed ones. resnet152v2_train_step runs torchvision's
                        resnet152 (v1: same depth, widths and cost as Keras' ResNet152V2). These
                        need torchvision (sudo apt-get install python3-torchvision).
  resnet9_fast_epoch    ResNet-9-s (widths 24-48-96-192) trained with `fmnist train --recipe fast`'s
                        recipe (FAST_RECIPE below, the same as src/recipes.ts) for
                        RESNET9_BENCH_EPOCHS epoch over all training images, then its test accuracy
                        (EMA weights): wall seconds of the training epochs, images/s, accuracy
"""
import argparse
import contextlib
import gzip
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # one line, as the callers show the last line of stderr
    sys.exit(f"peer_pytorch: {e}; install it with: sudo apt-get install python3-torch python3-numpy")

DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
LOCAL_DIR = os.path.join("data", "fashion-mnist")
IMAGE_SIDE = 28
NUM_CLASSES = 10


class PeerError(Exception):
    """A problem the user can fix (missing data, a bad file, an unknown task): one line."""


# ---- data: one IDX reader

IDX_UBYTE = 0x08
IDX_IMAGES = (IDX_UBYTE << 8) | 3  # 2051: count, rows, cols
IDX_LABELS = (IDX_UBYTE << 8) | 1  # 2049: count

SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path, magic):
    """The array in one IDX file (gzipped when it starts with the gzip magic), after checking its
    magic number and that the header's dimensions match the bytes that follow."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise PeerError(f"{name}: corrupt or truncated gzip ({e})")
    if len(raw) < 4:
        raise PeerError(f"{name}: too short for an IDX header ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise PeerError(f"{name}: wrong magic number {found} (expected {magic})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise PeerError(f"{name}: header truncated ({len(raw)} bytes, needs {header})")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    expected = 1
    for d in dims:
        expected *= d
    if len(raw) - header != expected:
        raise PeerError(f"{name}: header says {'x'.join(map(str, dims))} = {expected} bytes of data "
                        f"but the file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def candidate_dirs(data_dir):
    """Where to look, in order: --data-dir alone if given, else $FMNIST_DATA_DIR, ./data/fashion-mnist,
    Debian's folder (the order src/data/source.ts uses)."""
    if data_dir:
        return [data_dir]
    env = os.environ.get("FMNIST_DATA_DIR")
    return ([env] if env else []) + [LOCAL_DIR, DEBIAN_DIR]


def idx_path(folder, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            return p
    return None


def load_split(data_dir, split):
    """(images as float32 [n,1,28,28] in [0,1], labels as int64 [n]) of 'train' or 'test'."""
    stems = [f"{SPLITS[split]}-images-idx3-ubyte", f"{SPLITS[split]}-labels-idx1-ubyte"]
    dirs = candidate_dirs(data_dir)
    for folder in dirs:
        paths = [idx_path(folder, s) for s in stems]
        if all(paths):
            break
    else:
        raise PeerError(f"no {' and '.join(s + '[.gz]' for s in stems)} in {', '.join(dirs)}: "
                        "sudo apt-get install dataset-fashion-mnist, or pass --data-dir DIR")
    images = read_idx(paths[0], IDX_IMAGES)
    labels = read_idx(paths[1], IDX_LABELS)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise PeerError(f"{os.path.basename(paths[0])}: images are {images.shape[1]}x{images.shape[2]}, not 28x28")
    if len(images) != len(labels):
        raise PeerError(f"{folder}: {len(images)} {split} images but {len(labels)} labels")
    if len(labels) and int(labels.max()) >= NUM_CLASSES:
        raise PeerError(f"{os.path.basename(paths[1])}: label {int(labels.max())} is not a class 0-9")
    x = torch.from_numpy(images.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE).astype(np.float32) / 255)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---- models

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)  # same
        self.conv2 = nn.Conv2d(6, 16, 5)  # valid
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, NUM_CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)  # logits: cross_entropy applies the softmax


VGG16_BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]  # (filters, 3x3 convs) per block


def vgg16_base(in_channels=3):
    """VGG16 without its classifier: 13 conv 3x3 same + ReLU, a 2x2 max pool after each block."""
    layers = []
    for filters, convs in VGG16_BLOCKS:
        for _ in range(convs):
            layers += [nn.Conv2d(in_channels, filters, 3, padding=1), nn.ReLU()]
            in_channels = filters
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def torchvision_models(task):
    """torchvision.models, or a one-line PeerError naming the package when it is missing."""
    try:
        import torchvision
    except ImportError as e:
        raise PeerError(f"{task} needs torchvision ({e}): sudo apt-get install python3-torchvision")
    return torchvision.models


def backbone_classifier(task, name):
    """torchvision's `name` (random init) with its classifier replaced by global average pooling and
    a 10-class Linear head: the same shape of network as the Keras base + head on our side."""
    models = torchvision_models(task)
    net = getattr(models, name)()
    if name.startswith("resnet"):  # ends in avgpool + fc already
        net.fc = nn.Linear(net.fc.in_features, NUM_CLASSES)
        return net
    features = net.features  # vgg16, mobilenet_v2, efficientnet_b1: conv features, then a classifier
    with torch.no_grad():
        channels = features.eval()(torch.zeros(1, 3, 32, 32)).shape[1]  # eval: BatchNorm takes one image
    return nn.Sequential(features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, NUM_CLASSES))


RESNET9_S_WIDTHS = (24, 48, 96, 192)
RESNET9_BLOCKS = (1, 0, 1)  # residual blocks after each stage (Page: after stages 1 and 3)


def conv_bn(c_in, c_out):
    # momentum 0.1 in PyTorch's sense = Keras/tfjs momentum 0.9; eps as src/models/resnet9.ts
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                         nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(conv_bn(c, c), conv_bn(c, c))

    def forward(self, x):
        return x + self.body(x)


class ResNet9(nn.Module):
    """src/models/resnet9.ts: prep conv, three stages of conv-BN-ReLU + max pool 2 (+ residual
    blocks), global max pool, linear, logits x 0.125."""

    def __init__(self, widths=RESNET9_S_WIDTHS, blocks=RESNET9_BLOCKS):
        super().__init__()
        layers = [conv_bn(1, widths[0])]
        for s in range(1, 4):
            layers += [conv_bn(widths[s - 1], widths[s]), nn.MaxPool2d(2)]
            layers += [Residual(widths[s]) for _ in range(blocks[s - 1])]
        self.features = nn.Sequential(*layers, nn.AdaptiveMaxPool2d(1), nn.Flatten())
        self.fc = nn.Linear(widths[3], NUM_CLASSES)

    def forward(self, x):
        return self.fc(self.features(x)) * 0.125


# ---- the `fast` recipe (src/recipes.ts; src/bench/peer.test.ts checks they agree)

FAST_RECIPE = {"batchSize": 128, "lr": 0.05, "momentum": 0.9, "weightDecay": 5e-3, "warmupEpochs": 1,
               "labelSmoothing": 0.1, "augmentShift": 2, "augmentFlip": True, "erasing": 0, "ema": 0.999,
               "normalize": "standard", "schedule": "cosine", "optimizer": "sgd",
               "valSplit": 0}  # every training image trains (no validation split), as here
RESNET9_BENCH_EPOCHS = 1


def learning_rate(r, step, total, warmup):
    """src/train/schedule.ts: linear warm-up from lr/10, then cosine to lr/100."""
    lr = r["lr"]
    if step < warmup:
        return lr * (0.1 + 0.9 * step / warmup)
    t = (step - warmup) / (total - warmup) if total > warmup else 1
    floor = lr / 100
    return floor + (lr - floor) * 0.5 * (1 + math.cos(math.pi * min(1, t)))


def augment(x, r, gen, background):
    """src/data/preprocess.ts fillBatch: shifts of ±augmentShift px (background fill), flips, then
    random erasing (2-40% of the image, aspect 0.3-3.3, set to the background value)."""
    n, _, side, _ = x.shape
    s = r["augmentShift"]
    padded = F.pad(x, (s, s, s, s), value=background)
    out = torch.empty_like(x)
    offsets = torch.randint(0, 2 * s + 1, (n, 2), generator=gen).tolist()
    flips = (torch.rand(n, generator=gen) < 0.5).tolist()
    erase = torch.rand(n, 5, generator=gen).tolist()
    for i in range(n):
        dy, dx = offsets[i]
        img = padded[i, :, dy:dy + side, dx:dx + side]
        out[i] = img.flip(-1) if r["augmentFlip"] and flips[i] else img
        p, a, asp, py, px = erase[i]
        if p < r["erasing"]:
            area = (0.02 + a * 0.38) * side * side
            aspect = math.exp(math.log(0.3) + asp * 2 * math.log(1 / 0.3))
            h = min(side, max(1, round(math.sqrt(area * aspect))))
            w = min(side, max(1, round(math.sqrt(area / aspect))))
            y0 = int(py * (side - h + 1))
            x0 = int(px * (side - w + 1))
            out[i, :, y0:y0 + h, x0:x0 + w] = background
    return out


def train_recipe(model, x, y, r, epochs, background, seed=0, precision="fp32"):
    """SGD with Nesterov momentum, decoupled weight decay on conv/linear weights, label
    smoothing, the schedule and augmentation above, EMA of every parameter and buffer (decay warmed
    up as (1 + t) / (10 + t), src/train/ema.ts). Returns (each epoch's seconds, the EMA state)."""
    gen = torch.Generator().manual_seed(seed)
    decayed = [p for name, p in model.named_parameters() if p.dim() > 1]
    opt = torch.optim.SGD(model.parameters(), lr=r["lr"], momentum=r["momentum"], nesterov=True)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items() if v.dtype.is_floating_point}
    n = len(x)
    steps_per_epoch = (n + r["batchSize"] - 1) // r["batchSize"]
    total, warmup = steps_per_epoch * epochs, round(r["warmupEpochs"] * steps_per_epoch)
    step, times = 0, []
    model.train()
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, r["batchSize"]):
            idx = order[start:start + r["batchSize"]]
            lr = learning_rate(r, step, total, warmup)
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad()
            xb = augment(x[idx], r, gen, background)
            with autocast(precision):
                loss = F.cross_entropy(model(xb), y[idx], label_smoothing=r["labelSmoothing"])
            loss.backward()
            opt.step()
            with torch.no_grad():
                for p in decayed:
                    p.mul_(1 - lr * r["weightDecay"])
                d = min(r["ema"], (1 + step) / (10 + step))
                for k, v in model.state_dict().items():
                    if k in ema:
                        ema[k].mul_(d).add_(v, alpha=1 - d)
            step += 1
        times.append(time.perf_counter() - t0)
    return times, ema


# ---- shared measuring helpers

PRECISIONS = ("fp32", "bf16")


def autocast(precision):
    """The context every forward pass and loss runs in: bf16 autocast (float32 weights, bf16
    convolutions and matrix products where autocast casts them), or nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def train_epochs(model, x, y, epochs, batch, lr=1e-3, on_epoch=None, precision="fp32"):
    """Adam + cross-entropy over (x, y) in shuffled batches; returns each epoch's wall seconds
    (the shuffle included). on_epoch(epoch, seconds) is called after each."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    times = []
    n = len(x)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            with autocast(precision):
                loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        if on_epoch:
            on_epoch(epoch, times[-1])
    return times


def forward_seconds(model, shape, batch, warmup=1, precision="fp32"):
    """Wall seconds of one forward pass of a random [batch, *shape] input, after `warmup` passes."""
    model.eval()
    x = torch.rand(batch, *shape)
    with torch.no_grad(), autocast(precision):
        for _ in range(warmup):
            model(x)
        t0 = time.perf_counter()
        model(x)
        return time.perf_counter() - t0


WARMUP_STEPS = 2  # untimed: allocator and oneDNN primitive caches settle


def train_step_seconds(model, shape, batch, steps, warmup=WARMUP_STEPS, precision="fp32"):
    """Wall seconds of `steps` Adam steps (forward, cross-entropy, backward, update) on one random
    batch, after `warmup` steps; BatchNorm in training mode."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, *shape) * 2 - 1
    y = torch.randint(0, NUM_CLASSES, (batch,))

    def step():
        opt.zero_grad()
        with autocast(precision):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return float(loss)  # read every loss, as our training loop does

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - t0


def accuracy(model, x, y, batch=1000, precision="fp32"):
    model.eval()
    correct = 0
    with torch.no_grad(), autocast(precision):
        for start in range(0, len(x), batch):
            correct += int((model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum())
    return correct / max(len(x), 1)


def timing(seconds, n_images, **fields):
    """A timed task's figures: seconds (3 decimals) and images_per_s, plus any other fields."""
    return {"seconds": round(seconds, 3), "images_per_s": round(n_images / seconds, 1), **fields}


class Run:
    """What the tasks share in one process: options, loaded data, and runs reused across tasks."""

    def __init__(self, args):
        self.args = args
        self.meta = {"peer": "pytorch", "version": torch.__version__, "threads": args.threads, "precision": args.precision}
        self._data = {}
        self._lenet5 = None

    def data(self, split):
        if split not in self._data:
            self._data[split] = load_split(self.args.data_dir, split)
        return self._data[split]

    def emit(self, task, fields):
        print(json.dumps({**self.meta, "task": task, **fields}), flush=True)

    def lenet5(self):
        """One LeNet-5 training run for both LeNet-5 tasks: --epochs epochs when the accuracy is
        asked for, else 2; at least 2 when lenet5_train_epoch is asked for (it times the second)."""
        if self._lenet5 is None:
            tasks = self.args.task_list
            epochs = self.args.epochs if "lenet5_test_accuracy" in tasks else 2
            if "lenet5_train_epoch" in tasks:
                epochs = max(2, epochs)
            x, y = self.data("train")
            torch.manual_seed(0)
            model = LeNet5()
            times = train_epochs(model, x, y, epochs, self.args.batch, precision=self.args.precision)
            self._lenet5 = (model, times, len(x))
        return self._lenet5


# ---- the tasks: name → function(run) returning the fields to print

def lenet5_train_epoch(run):
    _, times, n = run.lenet5()
    return timing(times[1], n, batch=run.args.batch, images=n)


def lenet5_test_accuracy(run):
    model, times, _ = run.lenet5()
    x, y = run.data("test")
    return {"epochs": len(times), "accuracy": round(accuracy(model, x, y, precision=run.args.precision), 4)}


def resnet9_fast_epoch(run):
    x, y = run.data("train")
    r = FAST_RECIPE
    mean, std = float(x.mean()), float(x.std())  # normalize: standard, from the training images
    full = len(x)
    if run.args.images:  # a quick look: the first N images; seconds scaled to the full set, as ours
        x, y = x[:run.args.images], y[:run.args.images]
    torch.manual_seed(0)
    model = ResNet9()
    precision = run.args.precision
    times, ema = train_recipe(model, (x - mean) / std, y, r, RESNET9_BENCH_EPOCHS, background=-mean / std, precision=precision)
    model.load_state_dict(ema, strict=False)
    xt, yt = run.data("test")
    seconds = sum(times)
    return timing(seconds * full / len(x), full * len(times), model="resnet9_s", epochs=len(times), batch=r["batchSize"],
                  images=len(x), test_accuracy=round(accuracy(model, (xt - mean) / std, yt, precision=precision), 4))


def vgg16_forward(run, side=32, batch=256):
    torch.manual_seed(0)
    seconds = forward_seconds(vgg16_base(), (3, side, side), batch, precision=run.args.precision)
    return timing(seconds, batch, input=[side, side, 3], batch=batch)


# task → (torchvision model, input side, batch): the same as TRAIN_STEPS in src/bench/workloads.ts
TRAIN_STEPS = {
    "vgg16_train_step": ("vgg16", 32, 64),
    "resnet152v2_train_step": ("resnet152", 32, 32),
    "mobilenetv2_train_step": ("mobilenet_v2", 96, 32),
    "efficientnetb1_train_step": ("efficientnet_b1", 32, 32),
}


def train_step_task(task):
    def measure(run):
        name, side, batch = TRAIN_STEPS[task]
        torch.manual_seed(0)
        model = backbone_classifier(task, name)
        seconds = train_step_seconds(model, (3, side, side), batch, run.args.steps, precision=run.args.precision)
        params = sum(p.numel() for p in model.parameters())
        return timing(seconds, batch * run.args.steps, model=name, input=[side, side, 3], batch=batch, steps=run.args.steps, params=params)
    return measure


TASKS = {
    "lenet5_train_epoch": lenet5_train_epoch,
    "vgg16_forward": vgg16_forward,
    "lenet5_test_accuracy": lenet5_test_accuracy,
    **{task: train_step_task(task) for task in TRAIN_STEPS},
    "resnet9_fast_epoch": resnet9_fast_epoch,
}
DEFAULT_TASKS = ["lenet5_train_epoch", "vgg16_forward"]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="fashion-mnist-lab's PyTorch peer benchmark")
    ap.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="comma-separated, from: " + ", ".join(TASKS))
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    ap.add_argument("--data-dir", help="folder with the Fashion-MNIST IDX files")
    ap.add_argument("--batch", type=int, default=64, help="LeNet-5 training batch")
    ap.add_argument("--steps", type=int, default=5, help="timed steps of the *_train_step tasks")
    ap.add_argument("--accuracy", action="store_true", help="also run lenet5_test_accuracy")
    ap.add_argument("--epochs", type=int, default=10, help="LeNet-5 epochs before the test accuracy")
    ap.add_argument("--precision", choices=PRECISIONS, default="fp32",
                    help="fp32, or bf16: forward passes and losses under CPU autocast to bfloat16 (weights stay float32)")
    ap.add_argument("--images", type=int, help="resnet9_fast_epoch: train on the first N images only (seconds scaled to all)")
    ap.add_argument("--list", action="store_true", help="print the task names and exit")
    args = ap.parse_args(argv)
    args.task_list = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if args.accuracy and "lenet5_test_accuracy" not in args.task_list:
        args.task_list.append("lenet5_test_accuracy")
    unknown = [t for t in args.task_list if t not in TASKS]
    if unknown:
        raise PeerError(f"unknown task {', '.join(unknown)}: use {', '.join(TASKS)}")
    return args


def main(argv=None):
    try:
        args = parse_args(argv)
        if args.list:
            print("\n".join(TASKS))
            return
        torch.set_num_threads(args.threads)
        run = Run(args)
        for name in args.task_list:
            run.emit(name, TASKS[name](run))
    except PeerError as e:
        sys.exit(f"peer_pytorch: {e}")


if __name__ == "__main__":
    main()
