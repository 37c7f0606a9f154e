"""Target prior correction: fold the class re-balancing the teachers use (`pseudo_balance`) into the
network itself. Scaling softmax probabilities per class by prior^-b and renormalising has the same
argmax as adding -b * log(prior) to the logits, and a per-class constant passes unchanged through
the bilinear upsampling, so it becomes the classifier's bias: the exported graph and the app need
nothing new. The prior is the network's own mean prediction on unlabelled target training frames
(no labels are read), the label-shift estimate self-training already uses; choose b on dashcam val.
Writes a new checkpoint (same format, config records `prior_balance` and `prior_frames`)."""
import random
from pathlib import Path

import torch

from . import data
from .classes import CLASS_NAMES, NUM_CLASSES
from .config import Config
from .evaluate import load_checkpoint
from .methods import PRIOR_FLOOR
from .train import _save


@torch.no_grad()
def target_prior(model, cfg, paths, batch=16) -> torch.Tensor:
    """Mean softmax over every pixel of these frames, per class (sums to 1)."""
    total = torch.zeros(NUM_CLASSES)
    for i in range(0, len(paths), batch):
        x = torch.cat([data.eval_input(p, cfg) for p in paths[i:i + batch]])
        total += model(x).softmax(1).mean(dim=(2, 3)).sum(0)
    return total / max(1, len(paths))


@torch.no_grad()
def prior_correct(checkpoint, out, balance=0.5, frames=512, seed=0, overrides=None) -> dict:
    if balance < 0:
        raise ValueError(f"--balance must be >= 0, got {balance}")
    model, cfg, ckpt = load_checkpoint(checkpoint, overrides)
    cfg = cfg.resolved()
    torch.set_num_threads(cfg.threads)
    if cfg.prior_balance:
        raise ValueError(f"{checkpoint} is already prior-corrected (balance {cfg.prior_balance:g}); start from the uncorrected one")
    paths = list(data.target_frames(cfg))
    if not paths:
        raise FileNotFoundError("prior correction needs unlabelled target train frames")
    random.Random(seed).shuffle(paths)
    paths = paths[:frames]
    prior = target_prior(model, cfg, paths)
    model.head_cls.bias -= balance * prior.clamp_min(PRIOR_FLOOR).log()
    ckpt["model"] = model.state_dict()
    out = Path(out)
    # A new run, named after its folder, with its config beside it: `report` lists it like a trained one.
    ckpt["config"] = {**ckpt["config"], "run_name": out.parent.name, "prior_balance": balance, "prior_frames": len(paths)}
    ckpt["target_prior"] = prior.tolist()
    out.parent.mkdir(parents=True, exist_ok=True)
    _save(ckpt, out)
    Config.from_dict(ckpt["config"]).save(out.parent / "config.json")
    return {"frames": len(paths), "balance": balance, "out": str(out),
            "prior": {c: round(float(p), 4) for c, p in zip(CLASS_NAMES, prior)}}
