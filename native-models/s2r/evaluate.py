"""Evaluation as the Cityscapes scripts compute it: one confusion matrix over the whole split
(bincount), ground-truth ignore (255) dropped, IoU = TP / (TP + FP + FN), classes absent from both
prediction and ground truth are NaN and left out of the mean. Predictions are compared at ground-truth
resolution: logits at the input size are upsampled bilinearly (align_corners=False), then argmax."""
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .classes import CLASS_NAMES, IGNORE, NUM_CLASSES
from .config import Config
from .data import eval_input, read_label, split_items
from .model import build_model, inference_net, load_ckpt


def confusion(pred: np.ndarray, gt: np.ndarray, n=NUM_CLASSES) -> np.ndarray:
    """Rows: ground truth, columns: prediction."""
    m = gt != IGNORE
    return np.bincount(n * gt[m].astype(np.int64) + pred[m], minlength=n * n).reshape(n, n)


def scores(conf: np.ndarray) -> dict:
    tp = np.diag(conf).astype(np.float64)
    denom = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(denom > 0, tp / denom, np.nan)
    total = conf.sum()
    return {
        "miou": float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
        "pixel_acc": float(tp.sum() / total) if total else float("nan"),
        "iou": {name: float(v) for name, v in zip(CLASS_NAMES, iou)},
    }


@torch.no_grad()
def predict(model, image_path, cfg, out_hw) -> np.ndarray:
    dev = next(model.parameters()).device
    logits = model(eval_input(image_path, cfg).to(dev))
    if tuple(logits.shape[-2:]) != tuple(out_hw):
        logits = F.interpolate(logits, size=tuple(out_hw), mode="bilinear", align_corners=False)
    return logits.argmax(1)[0].cpu().numpy().astype(np.int64)


@torch.no_grad()
def evaluate_items(model, cfg, items, max_images=0) -> dict:
    was_training = model.training
    model.eval()
    conf = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    items = items[:max_images] if max_images else items
    for img, lbl in items:
        gt = read_label(lbl)
        conf += confusion(predict(model, img, cfg, gt.shape), gt)
    model.train(was_training)
    out = scores(conf)
    out["n_images"] = len(items)
    out["confusion"] = conf.tolist()
    return out


def load_checkpoint(path, overrides=None):
    """-> (model in eval mode, resolved config, raw checkpoint). Overrides (e.g. data paths moved
    since training) are applied to the config stored in the checkpoint."""
    ckpt = load_ckpt(path)
    d = dict(ckpt["config"])
    d.update(overrides or {})
    cfg = Config.from_dict(d)
    model = build_model(cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, cfg, ckpt


def default_eval_path(checkpoint, split) -> Path:
    p = Path(checkpoint)
    return p.parent / "eval" / f"{p.stem}_{split}.json"


def _json_safe(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x


def recipe(cfg) -> str:
    """The method plus what else shaped the weights, for the results table."""
    parts = [cfg.method]
    if cfg.aug_source:
        parts.append(f"source photometric aug ({cfg.aug_strength:g}, grey {cfg.aug_grey_p:g})")
    if getattr(cfg, "fda_beta", 0):
        parts.append(f"FDA ({cfg.fda_beta:g})")
    if getattr(cfg, "pseudo_balance", 0) and cfg.method in ("dacs", "self_training"):
        parts.append(f"class-balanced teacher ({cfg.pseudo_balance:g})")
    scales, flip = tuple(cfg.teacher_scales), cfg.teacher_flip
    if cfg.method in ("dacs", "self_training") and (scales != (1.0,) or flip):
        parts.append(f"teacher TTA (scales {','.join(f'{s:g}' for s in scales)}{' + flip' if flip else ''})")
    if cfg.adabn_frames:
        parts.append(f"AdaBN ({cfg.adabn_frames} frames)")
    if cfg.prior_balance:
        parts.append(f"target prior correction ({cfg.prior_balance:g}, {cfg.prior_frames} frames)")
    tta_scales = tuple(cfg.tta_scales)
    if tta_scales != (1.0,) or cfg.tta_flip:
        parts.append(f"test-time aug (scales {','.join(f'{s:g}' for s in tta_scales)}{' + flip' if cfg.tta_flip else ''})")
    return " + ".join(parts)


def evaluate_checkpoint(checkpoint, split, overrides=None, out=None, max_images=0) -> dict:
    model, cfg, ckpt = load_checkpoint(checkpoint, overrides)
    model = inference_net(model, cfg).to(torch.device((overrides or {}).get("device", "cpu")))  # not the training device by default
    torch.set_num_threads(cfg.resolved().threads)
    items = split_items(cfg, split)
    if not items:
        raise FileNotFoundError(f"split {split} is empty for this config (target_format={cfg.target_format})")
    t0 = time.time()
    res = evaluate_items(model, cfg, items, max_images)
    res.update({"checkpoint": str(Path(checkpoint).resolve()), "run": cfg.run_name or cfg.method,
                "method": cfg.method, "recipe": recipe(cfg), "iteration": ckpt.get("iteration"), "split": split,
                "input_size": list(cfg.input_size), "seconds": round(time.time() - t0, 2)})
    out = Path(out) if out else default_eval_path(checkpoint, split)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_json_safe(res), indent=1) + "\n")
    res["path"] = str(out)
    return res


def format_scores(res) -> str:
    lines = [f"{res.get('split', '')}: mIoU {100 * res['miou']:.2f}  pixel acc {100 * res['pixel_acc']:.2f}"
             f"  ({res['n_images']} images)"]
    for name, v in res["iou"].items():
        lines.append(f"  {name:14s} {'   -' if v is None or v != v else f'{100 * v:5.1f}'}")
    return "\n".join(lines)
