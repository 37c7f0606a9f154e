"""One config object for every command. Defaults follow AdaptSegNet/ADVENT where they transfer to a
small net trained from scratch, and say so where they do not. The resolved copy is written as
config.json beside every checkpoint so a run can be repeated or resumed from its own record."""
import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import List, Tuple

NATIVE_DIR = Path(__file__).resolve().parent.parent  # native-models/
METHODS = ("source_only", "adaptsegnet", "advent", "oracle", "self_training", "dacs")


@dataclass
class Config:
    # --- what to run -------------------------------------------------------------------------
    method: str = "source_only"
    run_name: str = ""  # default: the method name; the run dir is output_dir/run_name
    output_dir: str = str(NATIVE_DIR / "runs")
    init: str = ""  # warm start: model weights from a checkpoint (how adapted models start)
    resume: bool = False  # continue from run_dir/last.pt after a crash or a stop
    seed: int = 0
    threads: int = 0  # 0 = os.cpu_count(); Debian's torch otherwise defaults to 1 thread
    device: str = "cpu"

    # --- data ----------------------------------------------------------------------------------
    data_root: str = str(NATIVE_DIR / "data")  # our generator's output (sim/, dashcam/, dashcam_gt/)
    source_dir: str = ""  # GTA5-style images/ + labels/; default data_root/sim
    target_dir: str = ""  # default data_root
    target_format: str = "s2r"  # s2r (our dashcam layout) | cityscapes | folder (unlabelled frames)
    sim_val_frac: float = 0.1  # tail of the sorted sim frames held out (see data.sim_split)
    input_size: Tuple[int, int] = (128, 256)  # H, W: frames are resized to this for train and test
    scale_min: float = 0.75  # random rescale of the input-size image, then crop back to input_size
    scale_max: float = 1.5
    hflip: bool = True
    cache_images: bool = True  # keep decoded, pre-shrunk images in RAM: PNG decode dominates on 2 cores
    num_workers: int = 0  # 0 or 1; sampling order is seeded per iteration either way
    batch_size: int = 8
    mean: Tuple[float, float, float] = (0.485, 0.456, 0.406)  # on RGB/255; the app mirrors these
    std: Tuple[float, float, float] = (0.229, 0.224, 0.225)

    # --- model ---------------------------------------------------------------------------------
    width_mult: float = 1.0
    head_channels: int = 128
    disc_width: int = 32  # paper uses 64; our net's output is 16x cheaper than DeepLab's, so is D

    # --- optimisation --------------------------------------------------------------------------
    iterations: int = 20000
    # The papers fine-tune an ImageNet-pretrained DeepLab with SGD 2.5e-4. We have no pretrained
    # weights: from random init that rate barely moves the net in a CPU budget of a few thousand
    # steps, so the default is Adam 1e-3 (per-parameter step sizes, no 10x head multiplier needed).
    # SGD works too at about 0.01 (--seg_optimizer sgd --lr 0.01). For adapted runs warm-started
    # from a source-only checkpoint use a lower rate (README: 2.5e-4 with Adam).
    seg_optimizer: str = "adam"  # adam | sgd
    lr: float = 1e-3
    momentum: float = 0.9  # SGD only (paper)
    weight_decay: float = 1e-4  # paper 5e-4 with SGD; lighter with Adam's coupled L2
    lr_power: float = 0.9  # poly: lr * (1 - it / iterations) ** power, for seg and D alike
    lr_d: float = 1e-4  # discriminator Adam, paper
    betas_d: Tuple[float, float] = (0.9, 0.99)

    # --- adaptation (paper values) ----------------------------------------------------------------
    lambda_adv: float = 0.001  # output level (AdaptSegNet single level, ADVENT)
    multi_level: bool = False  # AdaptSegNet multi-level: second D on the auxiliary classifier
    lambda_adv_aux: float = 0.0002
    lambda_seg_aux: float = 0.1  # CE weight of the auxiliary classifier on source when multi_level
    lambda_ent: float = 0.0  # ADVENT MinEnt term added to advent; the paper's MinEnt weight is 0.001

    # --- self-training (mean teacher with class-balanced confident pseudo-labels; dacs: ClassMix) ---
    teacher: str = ""  # checkpoint for the teacher; default = the student's init
    ema_decay: float = 0.999  # 1.0 keeps the teacher fixed (classic offline pseudo-labelling)
    pseudo_threshold: float = 0.9  # a pixel is always kept above this confidence ... (dacs: paper 0.968)
    pseudo_portion: float = 0.5  # ... and per class the most confident half is kept (CBST-style)
    pseudo_balance: float = 0.0  # teacher probabilities times (running mean prediction)^-balance before the
    #                              argmax: classes the teacher under-predicts on the target keep their pixels
    #                              instead of losing them to the big classes (0 = off; 0.5 measured best)
    pseudo_prior_momentum: float = 0.99  # EMA of the teacher's per-class mean prediction on target batches
    teacher_scales: Tuple[float, ...] = (1.0,)  # the teacher's softmax averaged over these input scales ...
    teacher_flip: bool = False  # ... and their horizontal mirrors (multi-scale pseudo-labels, as CBST makes them)
    tta_scales: Tuple[float, ...] = (1.0,)  # evaluation and export: the net's softmax averaged over these scales ...
    tta_flip: bool = False  # ... and mirrors, inside the exported graph (output = log-probabilities)
    lambda_st: float = 1.0
    aug_strength: float = 0.2  # strong photometric augmentation (dacs' mixed images): jitter range, paper 0.2
    aug_grey_p: float = 0.0  # ... and the chance a frame is made grey
    aug_source: bool = False  # apply it to the source batches too (any method): domain randomisation
    fda_beta: float = 0.0  # adapted methods: FDA, source frames take a target frame's low-frequency
    #                        amplitude (half-size beta * min(H, W)); paper 0.01-0.09, 0 = off

    # --- loop ------------------------------------------------------------------------------------
    log_every: int = 10
    val_every: int = 500
    checkpoint_every: int = 250
    adabn_frames: int = 0  # set by `adabn`: BatchNorm statistics re-estimated on this many target frames
    prior_balance: float = 0.0  # set by `prior`: logits corrected by -balance * log(target prior)
    prior_frames: int = 0  # ... with the prior estimated on this many unlabelled target frames
    val_max_images: int = 0  # 0 = whole split; a cap keeps validation short on slow machines

    # -------------------------------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / (self.run_name or self.method)

    def resolved(self) -> "Config":
        """Fill derived defaults and make paths absolute, so config.json alone says what was used."""
        c = dataclasses.replace(self)
        if c.method not in METHODS:
            raise ValueError(f"unknown method {c.method!r}; choose one of {', '.join(METHODS)}")
        if c.target_format not in ("s2r", "cityscapes", "folder"):
            raise ValueError(f"unknown target_format {c.target_format!r}")
        if c.seg_optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown seg_optimizer {c.seg_optimizer!r}")
        c.run_name = c.run_name or c.method
        c.source_dir = c.source_dir or str(Path(c.data_root) / "sim")
        c.target_dir = c.target_dir or c.data_root
        for name in ("output_dir", "data_root", "source_dir", "target_dir", "init", "teacher"):
            value = getattr(c, name)
            if value:
                setattr(c, name, str(Path(value).expanduser().resolve()))
        if c.threads <= 0:
            c.threads = os.cpu_count() or 1
        return c

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v, tuple) else v)
                for f in fields(self) for v in [getattr(self, f.name)]}

    def save(self, path: Path) -> None:
        tmp = Path(str(path) + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for k, v in d.items():
            if k in known:  # tolerate keys from other versions so old runs stay loadable
                kwargs[k] = tuple(v) if isinstance(v, list) else v
        return cls(**kwargs)

    @classmethod
    def load(cls, path) -> "Config":
        return cls.from_dict(json.loads(Path(path).read_text()))


def _parse_value(f: dataclasses.Field, default, text: str):
    if isinstance(default, bool):
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--{f.name} expects true/false, got {text!r}")
    if isinstance(default, tuple):
        parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
        if "..." in str(f.type):  # Tuple[float, ...]: any count of the first default's type
            if not parts:
                raise ValueError(f"--{f.name} expects one or more values like 1,1.5, got {text!r}")
            return tuple(type(default[0])(p) for p in parts)
        if len(parts) != len(default):
            raise ValueError(f"--{f.name} expects {len(default)} values like "
                             f"{'x'.join(str(v) for v in default)}, got {text!r}")
        return tuple(type(d)(p) for d, p in zip(default, parts))
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse_overrides(argv: List[str], extra: Tuple[str, ...] = ()) -> Tuple[dict, dict]:
    """`--key value` pairs -> (config overrides, extra options). A bool key given alone means true.
    `extra` names options that belong to the command (e.g. --checkpoint), not to the config."""
    defaults = Config()
    known = {f.name: f for f in fields(Config)}
    overrides, other = {}, {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise ValueError(f"unexpected argument {arg!r}; options are --key value")
        key = arg[2:].replace("-", "_")
        value = None
        if "=" in key:
            key, value = key.split("=", 1)
        elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            value = argv[i + 1]
            i += 1
        i += 1
        if key in extra:
            other[key] = True if value is None else value
        elif key in known:
            default = getattr(defaults, key)
            if value is None:
                if not isinstance(default, bool):
                    raise ValueError(f"--{key} needs a value")
                value = "true"
            overrides[key] = _parse_value(known[key], default, value)
        else:
            names = ", ".join(sorted(list(known) + list(extra)))
            raise ValueError(f"unknown option --{key}; known: {names}")
    return overrides, other
