"""AdaBN (Li et al. 2016): re-estimate every BatchNorm layer's statistics on unlabelled target
frames. No gradients and no labels: the weights stay as trained, only the normalisation moves to
the dashcam domain's feature statistics, which is where an appearance gap shows up first.
Writes a new checkpoint (same format, config records `adabn_frames`) that evaluate/export read."""
import random
from pathlib import Path

import torch

from . import data
from .evaluate import load_checkpoint
from .model import load_ckpt
from .train import _save


@torch.no_grad()
def adabn(checkpoint, out, frames=512, batch=16, seed=0, overrides=None) -> dict:
    model, cfg, _ = load_checkpoint(checkpoint, overrides)
    cfg = cfg.resolved()
    torch.set_num_threads(cfg.threads)
    items = data.target_items(cfg, "train")  # unlabelled use only: labels are never read here
    if not items:
        raise FileNotFoundError("AdaBN needs target train frames")
    paths = [img for img, _ in items]
    random.Random(seed).shuffle(paths)
    paths = paths[:frames]
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over every batch below, not an EMA
    model.train()
    for i in range(0, len(paths), batch):
        x = torch.stack([data.normalize(data.resize_rgb(data.read_rgb(p), cfg.input_size), cfg.mean, cfg.std)
                         for p in paths[i:i + batch]])
        model(x)
    model.eval()
    ckpt = load_ckpt(checkpoint)
    ckpt["model"] = model.state_dict()
    ckpt["config"] = {**ckpt["config"], "adabn_frames": len(paths)}
    _save(ckpt, Path(out))
    return {"frames": len(paths), "bn_layers": len(bns), "out": str(out)}
