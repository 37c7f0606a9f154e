"""ONNX export + model card + reference masks.

The app's preprocessing contract (mirrored in the card's "preprocessing"; the app must do exactly this):
  1. decode the frame to 8-bit RGB (drop alpha; no EXIF rotation);
  2. resize to the card's input size (W x H) with PIL.Image.resize((W, H), Image.BILINEAR): a
     separable tent filter whose support widens with the shrink factor (antialiased), horizontal pass
     then vertical, rounded to uint8 after each; skip if the frame already has that size;
  3. x = (rgb / 255 - mean[c]) / std[c] in float32, NCHW, RGB channel order;
  4. run; "logits" is (N, 19, H, W) at the input size; argmax over axis 1 gives trainIds;
  5. for frame-size output, upsample logits bilinearly (half-pixel centres, align_corners=False,
     no antialias) to the frame size and argmax (what evaluate.py scores).
reference/<model>/<id>_input.png is the exact result of step 2 and <id>.png the argmax of step 4, so
the app can check its resize and its runtime separately; <id>_full.png is step 5."""
import datetime
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from PIL import Image

from . import data
from .classes import CLASSES, IGNORE, NUM_CLASSES
from .config import NATIVE_DIR
from .discriminator import Discriminator
from .evaluate import default_eval_path, load_checkpoint, recipe
from .model import count_params, inference_net

OPSET = 17
D_INPUT = {"adaptsegnet": "softmax", "advent": "self_information"}


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_onnx(module, example, path, out_channels):
    module.eval()
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():  # torch 1.13 warns about prim::Constant shape inference; harmless
        warnings.simplefilter("ignore", UserWarning)
        torch.onnx.export(module, example, str(path), opset_version=OPSET, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": axes, "logits": dict(axes)},
                          do_constant_folding=True)
    m = onnx.load(str(path))
    # Interpolation makes the exporter forget static output dims, even the class count; write it
    # back so apps reading metadata see (N, C, H, W) with C fixed.
    dim = m.graph.output[0].type.tensor_type.shape.dim[1]
    dim.Clear()
    dim.dim_value = out_channels
    if out_channels == 1:  # the discriminator's patch map is 1/32 of the input, not H x W
        for i, name in ((2, "patch_height"), (3, "patch_width")):
            m.graph.output[0].type.tensor_type.shape.dim[i].dim_param = name
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def _metrics(checkpoint) -> dict:
    """Scores come from evaluate's JSON files beside the checkpoint, never typed in."""
    out = {}
    for split in ("sim_val", "dashcam_val", "dashcam_test"):
        p = default_eval_path(checkpoint, split)
        if p.exists():
            r = json.loads(p.read_text())
            out[split] = {"miou": r["miou"], "pixel_acc": r["pixel_acc"], "iou": r["iou"], "n_images": r["n_images"]}
        else:
            out[split] = None
    return out


REPO_DIR = NATIVE_DIR.parent


def portable(value):
    """Paths inside the repository are written relative to it, so a card names no machine's folders."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v) for v in value]
    if isinstance(value, str) and value.startswith(str(REPO_DIR) + "/"):
        return str(Path(value).relative_to(REPO_DIR))
    return value


def _training_data(cfg) -> dict:
    def count(fn):
        try:
            return len(fn())
        except (FileNotFoundError, OSError, ValueError):
            return None
    d = {"source": {"dir": cfg.source_dir, "layout": "GTA5-style images/ + labels/ (palette labelIds)",
                    "train_frames": count(lambda: data.source_items(cfg, "train")),
                    "val_frames": count(lambda: data.source_items(cfg, "val"))},
         "target": {"dir": cfg.target_dir, "layout": cfg.target_format}}
    if cfg.method == "oracle":
        d["target"]["labelled_train_frames"] = count(lambda: data.target_items(cfg, "train"))
    elif cfg.method in ("adaptsegnet", "advent", "self_training", "dacs"):
        d["target"]["unlabelled_train_frames"] = count(lambda: data.target_frames(cfg))
    d["description"] = {
        "source_only": "supervised on simulator frames only",
        "oracle": "supervised on labelled dashcam train frames (upper bound)",
        "adaptsegnet": "sim labels + output-space adversarial alignment to unlabelled dashcam train frames",
        "advent": "sim labels + adversarial alignment of self-information maps on unlabelled dashcam frames",
        "self_training": "sim labels + mean-teacher pseudo-labels on unlabelled dashcam frames",
        "dacs": "sim labels + mean-teacher pseudo-labels on sim/dashcam ClassMix images (DACS)",
    }[cfg.method]
    return d


def _ref_frames(cfg, frames, count):
    if frames:
        out = []
        for f in frames:
            p = Path(f)
            out += data._images_in(p) if p.is_dir() else [p]
        return out
    for split in ("test", "val"):  # default: a few labelled dashcam frames the app also has
        try:
            items = data.target_items(cfg, split)
        except FileNotFoundError:
            items = []
        if items:
            return [img for img, _ in items[:count]]
    return []


@torch.no_grad()
def write_reference(model, cfg, frames, ref_dir: Path) -> list:
    ref_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for f in frames:
        f = Path(f)
        fid = f"{f.parent.name}_{f.stem}"  # frame names repeat across sequences
        rgb = data.read_rgb(f)
        small = data.resize_rgb(rgb, cfg.input_size)
        logits = model(data.normalize(small, cfg.mean, cfg.std)[None])
        mask = logits.argmax(1)[0].numpy().astype(np.uint8)
        full = torch.nn.functional.interpolate(logits, size=(rgb.height, rgb.width), mode="bilinear",
                                               align_corners=False).argmax(1)[0].numpy().astype(np.uint8)
        small.save(ref_dir / f"{fid}_input.png")
        Image.fromarray(mask, "L").save(ref_dir / f"{fid}.png")
        Image.fromarray(full, "L").save(ref_dir / f"{fid}_full.png")
        out.append({"frame": portable(str(f.resolve())), "id": fid, "mask": f"{fid}.png", "input": f"{fid}_input.png",
                    "full": f"{fid}_full.png", "frame_size": [rgb.height, rgb.width]})
    return out


def preprocessing(cfg) -> dict:
    h, w = cfg.input_size
    return {
        "decode": "8-bit RGB; alpha dropped; no EXIF rotation",
        "resize": {"height": h, "width": w, "method": "PIL.Image.resize((W, H), Image.BILINEAR)",
                   "detail": "separable tent filter, support = max(1, scale) source pixels, pixel centres at "
                             "(i + 0.5) * scale, horizontal pass then vertical, uint8 rounding after each "
                             "pass; antialiased when shrinking; skipped when the frame is already H x W"},
        "normalize": {"formula": "x[c] = (rgb[c] / 255 - mean[c]) / std[c]", "mean": list(cfg.mean),
                      "std": list(cfg.std), "channel_order": "RGB"},
        "tensor": {"name": "input", "layout": "NCHW", "dtype": "float32", "shape": ["N", 3, h, w]},
    }


def export(checkpoint, name=None, out_dir=None, ref_frames=None, ref_count=3, overrides=None, disc_name=None,
           disc_from=None) -> dict:
    """disc_name: file stem of the discriminator export (default <name>_discriminator; the app ships "discriminator").
    disc_from: take the discriminator from another checkpoint, the adversarial stage a multi-stage model
    (adversarial, then self-training, which has no D) started from."""
    model, cfg, ckpt = load_checkpoint(checkpoint, overrides)
    cfg = cfg.resolved()
    name = name or cfg.run_name
    out_dir = Path(out_dir) if out_dir else NATIVE_DIR / "models"
    out_dir.mkdir(parents=True, exist_ok=True)
    h, w = cfg.input_size
    path = out_dir / f"{name}.onnx"
    served = inference_net(model, cfg)
    export_onnx(served, torch.zeros(1, 3, h, w), path, NUM_CLASSES)

    frames = _ref_frames(cfg, ref_frames, ref_count)
    refs = write_reference(served, cfg, frames, out_dir / "reference" / name)
    classes = [{"trainId": i, "name": n, "color": list(c)} for i, n, c in CLASSES]
    # The auxiliary classifier is a training-time head; it is not in the exported graph or the count.
    card = {
        "schema": "s2r-model-card/1", "kind": "segmentation", "name": name, "method": cfg.method,
        "file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size,
        "created_utc": datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z",
        "framework": {"torch": torch.__version__, "onnx_opset": OPSET},
        "architecture": {"name": "MobileNetV2-style encoder + LR-ASPP head",
                         "parameters": count_params(model) - count_params(model.aux),
                         "width_mult": cfg.width_mult, "head_channels": cfg.head_channels},
        "classes": classes, "num_classes": NUM_CLASSES, "ignore_index": IGNORE,
        "input_size": {"height": h, "width": w},
        "input": {"name": "input", "layout": "NCHW", "dtype": "float32", "dynamic_axes": ["batch", "height", "width"]},
        "output": {"name": "logits", "layout": "NCHW", "dtype": "float32", "shape": ["N", NUM_CLASSES, "H", "W"],
                   "meaning": "unnormalised class scores at the input resolution; argmax over axis 1 = trainId"
                              + ("" if served is model else
                                 " (log of the softmax averaged over the test-time views, so softmax gives it back)")},
        "test_time_augmentation": None if served is model else served.describe(),
        "preprocessing": preprocessing(cfg),
        "postprocessing": {"labels": "argmax over axis 1 -> trainId (0..18)",
                           "to_frame_size": "bilinear upsample of logits to the frame size (half-pixel centres, "
                                            "align_corners=false, no antialias), then argmax; evaluation does this"},
        "training": portable({"checkpoint": str(Path(checkpoint).resolve()), "iteration": ckpt.get("iteration"),
                              "recipe": recipe(cfg), "init": cfg.init or None,
                              "data": _training_data(cfg), "config": cfg.to_dict()}),
        "metrics": _metrics(checkpoint),
        "reference": {"dir": f"reference/{name}", "frames": refs,
                      "check": "the app's masks at input size should agree with <id>.png on >= 99.9% of pixels"},
    }
    card_path = out_dir / f"{name}.card.json"
    card_path.write_text(json.dumps(card, indent=1) + "\n")

    d_ckpt, d_cfg = ckpt, cfg
    if disc_from:
        _, d_cfg, d_ckpt = load_checkpoint(disc_from, overrides)
    d_state = (d_ckpt.get("discs") or {}).get("main")
    if d_state is not None:
        # An imported D carries what its own card said (it may come from another stage than the net).
        origin = d_ckpt.get("disc_card") or {}
        d_method, d_width = origin.get("method", d_cfg.method), origin.get("disc_width", d_cfg.disc_width)
        disc = Discriminator(NUM_CLASSES, d_width)
        disc.load_state_dict(d_state)
        disc_name = disc_name or f"{name}_discriminator"
        d_path = out_dir / f"{disc_name}.onnx"
        export_onnx(disc, torch.zeros(1, NUM_CLASSES, h, w), d_path, 1)
        transform = D_INPUT[d_method]
        d_card = {
            "schema": "s2r-model-card/1", "kind": "discriminator", "name": disc_name,
            "method": d_method, "segmentation_model": path.name, "file": d_path.name, "sha256": sha256(d_path),
            "bytes": d_path.stat().st_size, "parameters": count_params(disc), "disc_width": d_width,
            "input": {"name": "input", "layout": "NCHW", "dtype": "float32", "shape": ["N", NUM_CLASSES, "H", "W"],
                      "transform": transform,
                      "meaning": ("softmax over axis 1 of the segmentation logits" if transform == "softmax"
                                  else "weighted self-information -p*log2(p + 1e-30) / log2(19) of the "
                                       "softmax p, per class")},
            "output": {"name": "logits", "layout": "NCHW", "shape": ["N", 1, "floor(H/32)", "floor(W/32)"],
                       "meaning": "patch map of logits; sigmoid = probability the patch comes from the TARGET "
                                  "(dashcam) domain; labels were source (sim) = 0, target = 1"},
            "training": origin.get("training") or portable({"checkpoint": str(Path(disc_from or checkpoint).resolve()),
                                                            "iteration": d_ckpt.get("iteration")}),
        }
        (out_dir / f"{disc_name}.card.json").write_text(json.dumps(d_card, indent=1) + "\n")
        card["discriminator"] = d_path.name
        card_path.write_text(json.dumps(card, indent=1) + "\n")
    return card
