"""How good would a teacher's pseudo-labels be, and at which `pseudo_balance`? Scores a checkpoint's
argmax on a labelled split after scaling each class by the checkpoint's mean prediction on the
*training* target frames (what the running prior in training converges to) to the power -balance.
The teacher's `teacher_scales`/`teacher_flip` (overridable) apply. Scored at the network's input size, where pseudo-labels live (ground truth resized nearest)."""
import numpy as np
import torch
import torch.nn.functional as F

from .classes import NUM_CLASSES
from .data import eval_input, read_label, split_items, target_frames
from .evaluate import confusion, load_checkpoint, scores
from .methods import balance_probabilities
from .model import tta_softmax


@torch.no_grad()
def probe(checkpoint, split="dashcam_val", balances=(0.0, 0.25, 0.5, 0.75, 1.0), every=5, overrides=None) -> list:
    model, cfg, _ = load_checkpoint(checkpoint, overrides)
    torch.set_num_threads(cfg.threads or torch.get_num_threads())
    prior = torch.zeros(NUM_CLASSES)
    frames = target_frames(cfg)[::every]
    for path in frames:
        prior += tta_softmax(model, eval_input(path, cfg), cfg.teacher_scales, cfg.teacher_flip).mean(dim=(0, 2, 3))
    prior /= max(1, len(frames))
    probs, gts = [], []
    for img, lbl in split_items(cfg, split)[::every]:
        probs.append(tta_softmax(model, eval_input(img, cfg), cfg.teacher_scales, cfg.teacher_flip))
        gt = torch.from_numpy(read_label(lbl).astype(np.float32))[None, None]
        gts.append(F.interpolate(gt, size=cfg.input_size, mode="nearest")[0, 0].numpy().astype(np.int64))
    probs = torch.cat(probs)
    out = []
    for b in balances:
        pred = balance_probabilities(probs, prior, b).argmax(1).numpy()
        res = scores(confusion(pred.ravel(), np.stack(gts).ravel()))
        out.append({"balance": b, "miou": res["miou"], "iou": res["iou"], "n_images": len(gts),
                    "prior_frames": len(frames)})
    return out
