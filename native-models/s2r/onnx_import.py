"""Turns an exported model (ONNX + its card) back into a checkpoint the pipeline can evaluate,
re-export or correct (`prior`, TTA options). Checkpoints are git-ignored; the shipped .onnx files and their
cards are what a fresh clone has, so this is how a new machine continues from the shipped models.

The export folded every BatchNorm into the convolution before it, so each imported conv_bn block
gets the folded weights in its conv and an identity BatchNorm (scale 1, shift = folded bias, running
mean 0, running variance 1 - eps): the same function in eval mode. It is not a starting point for
training: in train mode BatchNorm normalises by batch statistics, which the folded weights were never
scaled for (and `adabn` would break the eval-mode identity), so train from the original run instead.

Convs are matched by the order the forward pass runs them, which is the order of the graph's Conv
nodes, and every shape is checked; the result is then run against the ONNX graph itself (numpy
interpreter, by the ONNX spec) on a random input and refused if they disagree."""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

from . import onnx_ref
from .config import Config
from .discriminator import Discriminator
from .model import build_model
from .train import _save

TOLERANCE = 1e-3  # max |logit difference|: float32 reordering only, not a wrong mapping


def _conv_weights(onnx_path):
    m = onnx.load(str(onnx_path))
    init = {t.name: numpy_helper.to_array(t).copy() for t in m.graph.initializer}
    out = []
    for node in m.graph.node:
        if node.op_type == "Conv":
            w = init[node.input[1]]
            b = init[node.input[2]] if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0], np.float32)
            out.append((w, b))
    return out


def _convs_in_run_order(module, example):
    order = []
    hooks = [c.register_forward_hook(lambda mod, *_: order.append(mod))
             for c in module.modules() if isinstance(c, nn.Conv2d)]
    with torch.no_grad():
        module(example)
    for h in hooks:
        h.remove()
    return order


def _bn_after(module):
    """conv -> the BatchNorm that follows it in its Sequential (conv_bn blocks)."""
    pairs = {}
    for seq in module.modules():
        if isinstance(seq, nn.Sequential):
            kids = list(seq)
            for a, b in zip(kids, kids[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    pairs[a] = b
    return pairs


@torch.no_grad()
def load_onnx_weights(module, onnx_path, example):
    module.eval()
    convs = _convs_in_run_order(module, example)
    weights = _conv_weights(onnx_path)
    if len(convs) != len(weights):
        raise ValueError(f"{onnx_path}: {len(weights)} Conv nodes, the network runs {len(convs)} convs")
    bns = _bn_after(module)
    for i, (conv, (w, b)) in enumerate(zip(convs, weights)):
        if tuple(conv.weight.shape) != w.shape:
            raise ValueError(f"{onnx_path}: Conv node {i} has weights {w.shape}, the network's conv {tuple(conv.weight.shape)}")
        conv.weight.copy_(torch.from_numpy(w))
        bn = bns.get(conv)
        if bn is not None:
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
        elif conv.bias is not None:
            conv.bias.copy_(torch.from_numpy(b))
        elif np.any(b):
            raise ValueError(f"{onnx_path}: Conv node {i} has a bias the network's conv cannot hold")
    got = module(example).numpy()
    want = onnx_ref.run(onnx_path, {"input": example.numpy()})["logits"]
    diff = float(np.abs(got - want).max())
    if diff > TOLERANCE:
        raise ValueError(f"{onnx_path}: the imported network differs from the graph by {diff:g} (max |logit|)")
    return diff


def import_onnx(onnx_path, out, disc_onnx=None, overrides=None) -> dict:
    onnx_path = Path(onnx_path)
    card_path = onnx_path.with_suffix(".card.json")
    if not card_path.exists():
        raise FileNotFoundError(f"{card_path}: the model card is needed (it holds the training config)")
    card = json.loads(card_path.read_text())
    out = Path(out)
    # The run is named after its folder, so `report` lists it under the name it was imported as.
    cfg = Config.from_dict({**card["training"]["config"], "run_name": out.parent.name, **(overrides or {})})
    h, w = cfg.input_size
    torch.manual_seed(0)
    example = torch.randn(1, 3, h, w)
    net = build_model(cfg)
    diff = load_onnx_weights(net, onnx_path, example)
    ckpt = {"model": net.state_dict(), "config": cfg.to_dict(), "iteration": card["training"].get("iteration"),
            "imported_from": {"onnx": str(onnx_path), "sha256": card.get("sha256")}}
    result = {"out": str(out), "max_abs_diff": diff}
    if disc_onnx:
        d_card_path = Path(disc_onnx).with_suffix(".card.json")
        if not d_card_path.exists():
            raise FileNotFoundError(f"{d_card_path}: the discriminator's card is needed (method, width, origin)")
        d_card = json.loads(d_card_path.read_text())
        disc = Discriminator(card["num_classes"], d_card["disc_width"])
        probs = torch.softmax(torch.randn(1, card["num_classes"], h, w), 1)
        result["disc_max_abs_diff"] = load_onnx_weights(disc, disc_onnx, probs)
        ckpt["discs"] = {"main": disc.state_dict()}
        ckpt["disc_card"] = {k: d_card.get(k) for k in ("method", "disc_width", "training")}
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(ckpt, out)
    # `report` finds runs by their config.json, as it does for trained ones.
    cfg.save(out.parent / "config.json")
    return result
