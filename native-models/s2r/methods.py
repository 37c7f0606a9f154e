"""One step function per method; the shared loop in train.py owns everything else (data, lr
schedules, validation, checkpoints). Each step pulls its own batches, updates the segmentation net
(and the discriminators) once, and returns the losses to log."""
import math
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .augment import class_mix_masks, fda_to_target, strong_photometric
from .classes import IGNORE, NUM_CLASSES
from .discriminator import SOURCE_LABEL, TARGET_LABEL
from .model import tta_softmax


@dataclass
class StepContext:
    cfg: object
    model: nn.Module
    opt: torch.optim.Optimizer
    labelled: Iterator  # (image, trainIds) batches: sim for most methods, dashcam train for oracle
    target: Optional[Iterator] = None  # unlabelled dashcam batches for the adapted methods
    discs: Dict[str, nn.Module] = field(default_factory=dict)  # "main" and, multi-level, "aux"
    opt_d: Optional[torch.optim.Optimizer] = None
    teacher: Optional[nn.Module] = None
    state: Dict[str, torch.Tensor] = field(default_factory=dict)  # running statistics, saved in last.pt


# ---------------------------------------------------------------------------- losses
def seg_ce(logits, labels):
    if not (labels != IGNORE).any():  # all-ignore crops happen with heavy padding; mean of 0 is NaN
        return logits.sum() * 0.0
    return F.cross_entropy(logits, labels, ignore_index=IGNORE)


def bce(d_logits, label: float):
    return F.binary_cross_entropy_with_logits(d_logits, torch.full_like(d_logits, label))


def self_information(logits):
    """ADVENT's weighted self-information map -P*log2(P)/log2(C), one channel per class."""
    p = F.softmax(logits, dim=1)
    return -p * torch.log2(p + 1e-30) / math.log2(NUM_CLASSES)


def entropy_loss(logits):
    """MinEnt: mean normalised entropy per pixel."""
    return self_information(logits).sum(dim=1).mean()


def softmax(logits):
    return F.softmax(logits, dim=1)


def _set_requires_grad(modules, flag):
    for m in modules:
        for p in m.parameters():
            p.requires_grad_(flag)


# ---------------------------------------------------------------------------- steps
def photometric(x, cfg):
    return strong_photometric(x, cfg.mean, cfg.std, cfg.aug_strength, cfg.aug_grey_p)


def source_and_target(ctx: StepContext):
    """A sim batch and a dashcam batch for the adapted methods; with fda_beta the sim frames first
    take the dashcam frames' low-frequency spectrum (FDA), then the photometric augmentation."""
    cfg = ctx.cfg
    xs, ys = next(ctx.labelled)
    xt, _ = next(ctx.target)
    if cfg.fda_beta > 0:
        xs = fda_to_target(xs, xt, cfg.fda_beta, cfg.mean, cfg.std)
    return xs, ys, xt


def supervised(ctx: StepContext) -> dict:
    """source_only (CE on sim) and oracle (CE on labelled dashcam train) differ only in data."""
    cfg = ctx.cfg
    x, y = next(ctx.labelled)
    if cfg.aug_source:
        x = photometric(x, cfg)
    ctx.opt.zero_grad(set_to_none=True)
    out, aux = ctx.model.forward_train(x, cfg.multi_level)
    loss = seg_ce(out, y)
    logs = {"seg": loss.item()}
    if aux is not None:  # trains the aux head too, so a later multi-level run starts from it
        la = seg_ce(aux, y)
        loss = loss + cfg.lambda_seg_aux * la
        logs["seg_aux"] = la.item()
    loss.backward()
    ctx.opt.step()
    return logs


def _adversarial(ctx: StepContext, d_input: Callable) -> dict:
    """AdaptSegNet's alternating update, shared with ADVENT (which only changes what D sees)."""
    cfg, model = ctx.cfg, ctx.model
    ml = cfg.multi_level
    xs, ys, xt = source_and_target(ctx)
    if cfg.aug_source:
        xs = photometric(xs, cfg)
    discs = ctx.discs
    logs = {}

    # 1) segmentation net: supervised on source, fool D on target (D frozen).
    _set_requires_grad(discs.values(), False)
    ctx.opt.zero_grad(set_to_none=True)
    ps, pa = model.forward_train(xs, ml)
    loss = seg_ce(ps, ys)
    logs["seg"] = loss.item()
    if ml:
        la = seg_ce(pa, ys)
        loss = loss + cfg.lambda_seg_aux * la
        logs["seg_aux"] = la.item()
    loss.backward()  # frees the source graph before the target forward: lower peak memory

    pt, pta = model.forward_train(xt, ml)
    adv = bce(discs["main"](d_input(pt)), SOURCE_LABEL)
    loss = cfg.lambda_adv * adv
    logs["adv"] = adv.item()
    if ml:
        adv_aux = bce(discs["aux"](d_input(pta)), SOURCE_LABEL)
        loss = loss + cfg.lambda_adv_aux * adv_aux
        logs["adv_aux"] = adv_aux.item()
    if cfg.lambda_ent > 0:
        ent = entropy_loss(pt)
        loss = loss + cfg.lambda_ent * ent
        logs["ent"] = ent.item()
    loss.backward()
    ctx.opt.step()

    # 2) discriminators on detached predictions: source -> 0, target -> 1.
    _set_requires_grad(discs.values(), True)
    ctx.opt_d.zero_grad(set_to_none=True)
    pairs = {"main": (ps, pt), "aux": (pa, pta)}
    for name, d in discs.items():
        s, t = pairs[name]
        ds, dt = d(d_input(s.detach())), d(d_input(t.detach()))
        ld = (bce(ds, SOURCE_LABEL) + bce(dt, TARGET_LABEL)) / 2
        ld.backward()
        logs["d" if name == "main" else "d_aux"] = ld.item()
        if name == "main":  # how often D is right; ~0.5 means the domains look alike to it
            logs["d_acc"] = ((ds < 0).float().mean().item() + (dt > 0).float().mean().item()) / 2
    ctx.opt_d.step()
    return logs


def adaptsegnet(ctx):
    return _adversarial(ctx, softmax)


def advent(ctx):
    return _adversarial(ctx, self_information)


@torch.no_grad()
def pseudo_labels(teacher_logits, threshold, portion):
    """Confident, class-balanced pseudo-labels: per class, keep pixels above that class's
    (1 - portion) confidence quantile within the batch, and always those above `threshold`;
    rare classes thus keep their best pixels instead of losing them to one global threshold."""
    conf, pl = F.softmax(teacher_logits, dim=1).max(dim=1)
    keep = conf >= threshold
    for c in pl.unique().tolist():
        mask = pl == c
        vals = conf[mask]
        k = min(vals.numel(), int(vals.numel() * (1 - portion)) + 1)
        thr = vals.kthvalue(k).values.item()  # k-th smallest: the top `portion` lie at or above it
        keep |= mask & (conf >= min(thr, threshold))
    pl[~keep] = IGNORE
    return pl


@torch.no_grad()
def teacher_probabilities(ctx: StepContext, xt):
    """The teacher's softmax on target frames; with `pseudo_balance` each class is scaled by its running
    mean prediction to the power -balance and renormalised. A class the teacher rarely predicts on
    the target (our dashcam's tree canopies, which it calls building) keeps the pixels where it
    comes close, instead of being argmaxed away and then unlearned by the student: the collapse
    plain self-training shows on classes whose look and frequency both shift (CBST, Zou et al. 2018,
    balances the same way with per-class thresholds)."""
    cfg = ctx.cfg
    ctx.teacher.eval()
    p = tta_softmax(ctx.teacher, xt, cfg.teacher_scales, cfg.teacher_flip)
    if cfg.pseudo_balance <= 0:
        return p
    batch = p.mean(dim=(0, 2, 3))
    prior = ctx.state.get("target_prior")
    prior = batch if prior is None else cfg.pseudo_prior_momentum * prior + (1 - cfg.pseudo_prior_momentum) * batch
    ctx.state["target_prior"] = prior
    return balance_probabilities(p, prior, cfg.pseudo_balance)


PRIOR_FLOOR = 1e-3  # a class the net never predicts is not boosted without bound


def balance_probabilities(p, prior, power):
    """p (N, C, H, W) scaled per class by prior^-power (floored at PRIOR_FLOOR), renormalised over C."""
    q = p * prior.clamp_min(PRIOR_FLOOR).pow(-power).view(1, -1, 1, 1)
    return q / q.sum(dim=1, keepdim=True)


@torch.no_grad()
def ema_update(teacher, student, decay):
    for tp, sp in zip(teacher.parameters(), student.parameters()):
        tp.mul_(decay).add_(sp.detach(), alpha=1 - decay)
    for tb, sb in zip(teacher.buffers(), student.buffers()):
        if tb.dtype.is_floating_point:
            tb.mul_(decay).add_(sb, alpha=1 - decay)
        else:
            tb.copy_(sb)


def self_training(ctx: StepContext) -> dict:
    """Mean teacher: the EMA teacher labels target crops, the student learns them plus source CE."""
    cfg = ctx.cfg
    xs, ys, xt = source_and_target(ctx)
    if cfg.aug_source:
        xs = photometric(xs, cfg)
    pl = pseudo_labels(teacher_probabilities(ctx, xt).log(), cfg.pseudo_threshold, cfg.pseudo_portion)
    ctx.opt.zero_grad(set_to_none=True)
    ls = seg_ce(ctx.model(xs), ys)
    lt = seg_ce(ctx.model(xt), pl)
    (ls + cfg.lambda_st * lt).backward()
    ctx.opt.step()
    if cfg.ema_decay < 1.0:
        ema_update(ctx.teacher, ctx.model, cfg.ema_decay)
    return {"seg": ls.item(), "st": lt.item(), "pseudo_frac": (pl != IGNORE).float().mean().item()}


def dacs(ctx: StepContext) -> dict:
    """DACS (Tranheden et al. 2021): the EMA teacher labels clean target frames; half of each source
    frame's classes are pasted over a target frame (ClassMix) with their true labels, the rest keeps
    the teacher's labels weighted by the share of pixels above `pseudo_threshold` (paper 0.968);
    the mixed batch gets colour jitter and blur. Mixing stops the student from learning the
    teacher's own errors on target-only images, the usual failure of plain self-training."""
    cfg = ctx.cfg
    xs, ys, xt = source_and_target(ctx)
    with torch.no_grad():
        conf, pl = teacher_probabilities(ctx, xt).max(dim=1)
        weight_t = (conf >= cfg.pseudo_threshold).float().mean(dim=(1, 2), keepdim=True).expand_as(conf)
        m = class_mix_masks(ys)
        xm = photometric(m * xs + (1 - m) * xt, cfg)
        if cfg.aug_source:
            xs = photometric(xs, cfg)
        m = m[:, 0].bool()
        ym = torch.where(m, ys, pl)
        wm = torch.where(m, torch.ones_like(weight_t), weight_t) * (ym != IGNORE).float()
    ctx.opt.zero_grad(set_to_none=True)
    ls = seg_ce(ctx.model(xs), ys)
    ls.backward()  # frees the source graph before the mixed forward: lower peak memory
    per_pixel = F.cross_entropy(ctx.model(xm), ym.clamp(max=NUM_CLASSES - 1), reduction="none")
    lm = (per_pixel * wm).sum() / wm.numel()
    (cfg.lambda_st * lm).backward()
    ctx.opt.step()
    if cfg.ema_decay < 1.0:
        ema_update(ctx.teacher, ctx.model, cfg.ema_decay)
    return {"seg": ls.item(), "mix": lm.item(), "pseudo_w": weight_t[:, 0, 0].mean().item(),
            "mixed_frac": m.float().mean().item()}


STEPS = {"source_only": supervised, "oracle": supervised, "adaptsegnet": adaptsegnet,
         "advent": advent, "self_training": self_training, "dacs": dacs}
NEEDS_TARGET = {"adaptsegnet", "advent", "self_training", "dacs"}
NEEDS_TEACHER = {"self_training", "dacs"}
NEEDS_DISC = {"adaptsegnet", "advent"}
