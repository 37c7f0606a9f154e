"""THE training loop, shared by every method: data, poly lr schedules, the step function of the
chosen method, periodic validation (best checkpoint by dashcam VAL mIoU, never test), checkpoints
with config.json beside them, a metrics.jsonl log, and --resume after a crash or a stop."""
import copy
import json
import math
import os
import signal
import time
from pathlib import Path

import torch

from . import data
from .config import Config
from .discriminator import Discriminator
from .classes import NUM_CLASSES
from .evaluate import evaluate_items
from .methods import NEEDS_DISC, NEEDS_TARGET, NEEDS_TEACHER, STEPS, StepContext
from .model import build_model, count_params, load_ckpt


def poly(base_lr, it, total, power):
    return base_lr * max(0.0, 1.0 - it / total) ** power


def _save(obj, path: Path):
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # a crash mid-write never leaves a truncated checkpoint behind


def _trim_log(path: Path, upto: int):
    """On resume, drop log lines written after the checkpoint we restart from."""
    if not path.exists():
        return
    keep = [l for l in path.read_text().splitlines() if l.strip() and json.loads(l).get("iter", 0) <= upto]
    path.write_text("".join(l + "\n" for l in keep))


class _StopFlag:
    """SIGINT/SIGTERM finish the current step, then save last.pt and exit: a half-applied step
    (seg updated, D not) would otherwise end up in the checkpoint. A second signal kills."""

    def __init__(self):
        self.stop = False
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum, frame):
        if self.stop:
            signal.signal(signum, self._old[signum])
            os.kill(os.getpid(), signum)
        self.stop = True
        print("\nstopping after this step; saving last.pt (signal again to kill)", flush=True)

    def restore(self):
        for s, h in self._old.items():
            signal.signal(s, h)


def validate(model, cfg, val_sets) -> dict:
    out = {}
    for name, items in val_sets.items():
        r = evaluate_items(model, cfg, items, cfg.val_max_images)
        out[name] = {k: r[k] for k in ("miou", "pixel_acc", "n_images", "iou")}
    return out


def train(cfg: Config) -> Path:
    cfg = cfg.resolved()
    run_dir = cfg.run_dir
    last_path = run_dir / "last.pt"
    if cfg.resume and not last_path.exists():
        raise FileNotFoundError(f"--resume: no {last_path}")
    if not cfg.resume and last_path.exists():
        raise FileExistsError(f"{run_dir} already holds a run: pass --resume, or a new --run_name")
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.save(run_dir / "config.json")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    # --- model, discriminators, optimisers
    model = build_model(cfg)
    if cfg.init and not cfg.resume:
        model.load_state_dict(load_ckpt(cfg.init)["model"])
    dev = torch.device(cfg.device)
    model.to(dev).train()
    if cfg.seg_optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    discs, opt_d = {}, None
    if cfg.method in NEEDS_DISC:
        discs["main"] = Discriminator(NUM_CLASSES, cfg.disc_width)
        if cfg.multi_level:
            discs["aux"] = Discriminator(NUM_CLASSES, cfg.disc_width)
        for d in discs.values():
            d.to(dev)
        opt_d = torch.optim.Adam([p for d in discs.values() for p in d.parameters()],
                                 lr=cfg.lr_d, betas=cfg.betas_d)
    teacher = None
    if cfg.method in NEEDS_TEACHER:
        teacher = copy.deepcopy(model)
        if cfg.teacher:
            teacher.load_state_dict(load_ckpt(cfg.teacher)["model"])
        teacher.to(dev)
        for p in teacher.parameters():
            p.requires_grad_(False)

    start, best = 0, {"score": -math.inf, "iteration": None, "split": None}
    if cfg.resume:
        ck = load_ckpt(last_path, dev)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        for name, d in discs.items():
            d.load_state_dict(ck["discs"][name])
        if opt_d is not None:
            opt_d.load_state_dict(ck["opt_d"])
        if teacher is not None:
            teacher.load_state_dict(ck["teacher"])
        torch.set_rng_state(ck["torch_rng"].cpu())
        start, best = ck["iteration"], ck["best"]
        print(f"resuming {run_dir} at iteration {start}", flush=True)
    log_path = run_dir / "metrics.jsonl"
    _trim_log(log_path, start) if cfg.resume else log_path.write_text("")

    # --- data
    labelled_items = data.target_items(cfg, "train") if cfg.method == "oracle" else data.source_items(cfg, "train")
    if not labelled_items:
        raise FileNotFoundError(f"no labelled training data for {cfg.method}")
    labelled = data.endless_loader(data.TrainSet(labelled_items, cfg, True), cfg, 0, start, dev)
    target, target_frames = None, []
    if cfg.method in NEEDS_TARGET:
        target_frames = data.target_frames(cfg)
        target = data.endless_loader(data.TrainSet(target_frames, cfg, False), cfg, 1, start, dev)
    val_sets = {"dashcam_val": data.target_items(cfg, "val"), "sim_val": data.source_items(cfg, "val")}
    val_sets = {k: v for k, v in val_sets.items() if v}
    select = "dashcam_val" if "dashcam_val" in val_sets else "sim_val"  # sim only for unlabelled targets
    print(f"{cfg.method}: {count_params(model) / 1e6:.2f}M params, {len(labelled_items)} labelled"
          + (f", {len(target_frames)} target frames" if target is not None else "")
          + f"; val {', '.join(f'{k} {len(v)}' for k, v in val_sets.items())}; best by {select}"
          + f"; {cfg.threads} threads, batch {cfg.batch_size}, {cfg.input_size[0]}x{cfg.input_size[1]}", flush=True)

    ctx = StepContext(cfg, model, opt, labelled, target, discs, opt_d, teacher)
    if cfg.resume:
        ctx.state.update(ck.get("step_state") or {})
    step_fn = STEPS[cfg.method]

    def state(it):
        return {"model": model.state_dict(), "discs": {k: d.state_dict() for k, d in discs.items()},
                "opt": opt.state_dict(), "opt_d": opt_d.state_dict() if opt_d else None,
                "teacher": teacher.state_dict() if teacher is not None else None,
                "step_state": ctx.state, "iteration": it, "best": best, "config": cfg.to_dict(),
                "torch_rng": torch.get_rng_state()}

    stop = _StopFlag()
    window, step_time, it = [], 0.0, start
    try:
        with open(log_path, "a") as log:
            for it in range(start, cfg.iterations):
                lr = poly(cfg.lr, it, cfg.iterations, cfg.lr_power)
                for g in opt.param_groups:
                    g["lr"] = lr
                if opt_d is not None:
                    for g in opt_d.param_groups:
                        g["lr"] = poly(cfg.lr_d, it, cfg.iterations, cfg.lr_power)
                t0 = time.time()
                logs = step_fn(ctx)
                step_time += time.time() - t0  # validation and saving are not iteration time
                window.append(logs)
                done = it + 1
                if done % cfg.log_every == 0 or done == cfg.iterations or stop.stop:
                    spi = step_time / len(window)
                    mean = {k: sum(w.get(k, 0.0) for w in window) / len(window) for k in window[-1]}
                    eta = spi * (cfg.iterations - done)
                    print(f"it {done}/{cfg.iterations} lr {lr:.2e} " + " ".join(f"{k} {v:.4f}" for k, v in mean.items())
                          + f" | {spi:.3f} s/it, eta {eta / 60:.1f} min", flush=True)
                    log.write(json.dumps({"type": "train", "iter": done, "lr": lr, "sec_per_iter": spi, **mean}) + "\n")
                    log.flush()
                    window, step_time = [], 0.0
                if val_sets and (done % cfg.val_every == 0 or done == cfg.iterations):
                    t0 = time.time()
                    res = validate(model, cfg, val_sets)
                    improved = res[select]["miou"] > best["score"]
                    if improved:
                        best = {"score": res[select]["miou"], "iteration": done, "split": select}
                        _save({"model": model.state_dict(), "discs": {k: d.state_dict() for k, d in discs.items()},
                               "iteration": done, "config": cfg.to_dict(), "val": res}, run_dir / "best.pt")
                    log.write(json.dumps({"type": "val", "iter": done, "best": improved, **res}) + "\n")
                    log.flush()
                    print("val " + ", ".join(f"{k} mIoU {100 * v['miou']:.2f}" for k, v in res.items())
                          + (" (best)" if improved else "") + f" [{time.time() - t0:.1f} s]", flush=True)
                if done % cfg.checkpoint_every == 0 or done == cfg.iterations or stop.stop:
                    _save(state(done), last_path)
                if stop.stop:
                    print(f"stopped at iteration {done}; continue with --resume", flush=True)
                    break
    finally:
        stop.restore()
    if not val_sets and not (run_dir / "best.pt").exists():
        _save({"model": model.state_dict(), "discs": {k: d.state_dict() for k, d in discs.items()},
               "iteration": it + 1, "config": cfg.to_dict(), "val": {}}, run_dir / "best.pt")
    return run_dir
