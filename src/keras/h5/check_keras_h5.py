#!/usr/bin/env python3
"""Python-side check of a Keras HDF5 file written by `fmnist export --format keras-h5`.

Reads the file with h5py (Debian's python3-h5py) the way Keras' legacy HDF5 loader
(`load_model` / `load_weights_from_hdf5_group`) does, without needing Keras itself, and prints one
JSON document: the layout found and a list of problems (exit status 1 when there are any).

    /usr/bin/python3 check_keras_h5.py FILE.h5
"""
import json
import sys

import h5py
import numpy as np


def decode(v):
    return v.decode("utf8") if hasattr(v, "decode") else str(v)


def strings_attr(group, name):
    """Keras' load_attributes_from_hdf5_group: a (possibly chunked) list of strings."""
    if name in group.attrs:
        return [decode(n) for n in group.attrs[name]]
    out, i = [], 0
    while "%s%d" % (name, i) in group.attrs:
        out.extend(decode(n) for n in group.attrs["%s%d" % (name, i)])
        i += 1
    return out


def config_layer_names(config):
    """Names of the layers Keras will build from model_config, in order (Sequential without its InputLayer)."""
    cfg = config.get("config")
    layers = cfg if isinstance(cfg, list) else (cfg or {}).get("layers", [])
    names = [l.get("config", {}).get("name", l.get("name")) for l in layers]
    if config.get("class_name") == "Sequential":
        names = [n for n, l in zip(names, layers) if l.get("class_name") != "InputLayer"]
    return names


def main(path):
    problems = []
    f = h5py.File(path, "r")
    report = {"file": path, "keras_version": None, "backend": None, "class_name": None, "layers": [], "tensors": 0, "values": 0}
    for key in ("keras_version", "backend"):
        if key in f.attrs:
            report[key] = decode(f.attrs[key])
        else:
            problems.append("root attribute %r missing" % key)
    if "model_config" in f.attrs:
        try:
            config = json.loads(decode(f.attrs["model_config"]))
        except ValueError as e:
            problems.append("model_config is not JSON: %s" % e)
            config = {}
        report["class_name"] = config.get("class_name")
        if config.get("class_name") not in ("Sequential", "Functional", "Model"):
            problems.append("model_config class_name %r is not a Keras model" % config.get("class_name"))
        if "model_weights" not in f:
            problems.append("full-model file without a model_weights group")
            return report, problems
        group = f["model_weights"]
        report["config_layers"] = config_layer_names(config)
    else:
        group = f
        report["config_layers"] = None
    layer_names = strings_attr(group, "layer_names")
    if not layer_names:
        problems.append("no layer_names")
    if report["config_layers"] is not None and report["config_layers"] != layer_names:
        problems.append("layer_names differ from the model_config layers")
    for name in layer_names:
        if name not in group:
            problems.append("layer %r listed but has no group" % name)
            continue
        g = group[name]
        if "weight_names" not in g.attrs and "weight_names0" not in g.attrs:
            problems.append("layer %r has no weight_names attribute" % name)
        weights = []
        for wn in strings_attr(g, "weight_names"):
            if wn not in g:
                problems.append("layer %r: weight %r has no dataset" % (name, wn))
                continue
            d = g[wn]
            if d.dtype != np.float32:
                problems.append("layer %r: weight %r is %s, not float32" % (name, wn, d.dtype))
            values = np.asarray(d)
            if not np.all(np.isfinite(values)):
                problems.append("layer %r: weight %r has non-finite values" % (name, wn))
            weights.append({"name": wn, "shape": list(d.shape)})
            report["tensors"] += 1
            report["values"] += int(values.size)
        report["layers"].append({"name": name, "weights": weights})
    return report, problems


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_keras_h5.py FILE.h5")
    report, problems = main(sys.argv[1])
    report["problems"] = problems
    print(json.dumps(report))
    sys.exit(1 if problems else 0)
