#!/usr/bin/python3
"""End-to-end smoke test on a tiny synthetic dataset (a few 64x128 frames drawn here with PIL; no
dependency on the TypeScript generator). Trains source_only, adaptsegnet (multi-level, warm start),
advent (+MinEnt) and self_training for a few iterations, checks --resume replays a crashed run
exactly, evaluates (our layout and Cityscapes layout), exports ONNX + card + reference masks, runs the
exported graph with an independent numpy interpreter and compares it with PyTorch, and writes a
report into a copy of the README. Exit code 0 = pass. Run: /usr/bin/python3 native-models/smoke_test.py"""
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from s2r import augment, data, methods, onnx_ref  # noqa: E402
from s2r.classes import CLASSES, LUT  # noqa: E402
from s2r.config import Config, parse_overrides  # noqa: E402
from s2r.evaluate import evaluate_checkpoint, load_checkpoint, recipe, scores  # noqa: E402
from s2r.methods import balance_probabilities, tta_softmax  # noqa: E402
from s2r.prior_correction import prior_correct  # noqa: E402
from s2r.export import export  # noqa: E402
from s2r.model import TestTimeAugmented, load_ckpt  # noqa: E402
from s2r.onnx_import import import_onnx  # noqa: E402
from s2r.report import report  # noqa: E402
from s2r.train import train  # noqa: E402

H, W = 64, 128
# labelIds: road 7, sidewalk 8, building 11, pole 17, vegetation 21, sky 23, car 26, ego vehicle 1
PALETTE = np.zeros((256, 3), np.uint8)
for train_id, _, colour in CLASSES:
    PALETTE[[k for k in range(256) if LUT[k] == train_id][0]] = colour


def scene(rng, real: bool):
    """A road scene: sky, buildings, vegetation, sidewalk, road, cars, a pole, ego-vehicle bonnet.
    The 'real' style shifts colours, adds texture noise and goes through JPEG (a domain gap)."""
    ids = Image.new("L", (W, H), 23)
    d = ImageDraw.Draw(ids)
    hz = int(H * rng.uniform(0.4, 0.55))
    for _ in range(3):
        x0 = int(rng.integers(0, W - 20)); top = int(rng.integers(5, hz - 5))
        d.rectangle([x0, top, x0 + int(rng.integers(15, 40)), hz], fill=11)
    d.ellipse([int(rng.integers(0, W - 30)), hz - 14, int(rng.integers(30, W)), hz + 4], fill=21)
    d.polygon([(0, hz), (W, hz), (W, H), (0, H)], fill=8)
    d.polygon([(W * 0.4, hz), (W * 0.6, hz), (W, H), (0, H)], fill=7)
    for _ in range(int(rng.integers(1, 3))):
        cx = int(rng.integers(20, W - 20)); cy = int(rng.integers(hz + 4, H - 12))
        d.rectangle([cx - 10, cy - 5, cx + 10, cy + 5], fill=26)
    px = int(rng.integers(5, W - 5)); d.rectangle([px, hz - 20, px + 1, hz + 6], fill=17)
    d.rectangle([0, H - 4, W, H], fill=1)
    ids = np.array(ids)
    colours = PALETTE[LUT[ids]].astype(np.float32)
    colours[ids == 1] = (20, 20, 20)
    if real:
        colours = colours * np.array([0.8, 0.95, 1.1]) + 25 + rng.normal(0, 12, colours.shape)
    else:
        colours = colours + rng.normal(0, 4, colours.shape)
    return Image.fromarray(np.clip(colours, 0, 255).astype(np.uint8)), ids


def palette_png(ids, path):
    im = Image.fromarray(ids.astype(np.uint8), "P")
    im.putpalette(PALETTE.flatten().tolist())
    im.save(path)


def make_dataset(root: Path, seed=0):
    rng = np.random.default_rng(seed)
    for sub in ("sim/images", "sim/labels", "sim/depth"):
        (root / sub).mkdir(parents=True)
    for i in range(20):
        img, ids = scene(rng, real=False)
        img.save(root / f"sim/images/{i:05d}.png")
        palette_png(ids, root / f"sim/labels/{i:05d}.png")
    for s, split in enumerate(("train", "train", "val", "test")):
        seq = f"seq{s:03d}"
        (root / "dashcam/frames" / seq).mkdir(parents=True)
        (root / "dashcam_gt/gtFine" / split / seq).mkdir(parents=True, exist_ok=True)
        for f in range(4):
            img, ids = scene(rng, real=True)
            img.save(root / f"dashcam/frames/{seq}/frame_{f:06d}.jpg", quality=90)
            if f % 2 == 0:  # every other frame labelled, like sparse annotation
                Image.fromarray(ids.astype(np.uint8), "L").save(
                    root / f"dashcam_gt/gtFine/{split}/{seq}/{seq}_{s:06d}_{f:06d}_gtFine_labelIds.png")
    (root / "manifest.json").write_text(json.dumps({"note": "smoke-test dataset"}))
    # The same dashcam test frames in Cityscapes layout.
    for frame, gt in data.s2r_pairs(root, "test"):
        city = frame.parent.name
        stem = gt.name.replace("_gtFine_labelIds.png", "")
        (root / "cs/leftImg8bit/test" / city).mkdir(parents=True, exist_ok=True)
        (root / "cs/gtFine/test" / city).mkdir(parents=True, exist_ok=True)
        data.read_rgb(frame).save(root / f"cs/leftImg8bit/test/{city}/{stem}_leftImg8bit.png")
        shutil.copy(gt, root / f"cs/gtFine/test/{city}/{gt.name}")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print(f"  ok  {msg}", flush=True)


def main() -> int:
    t0 = time.time()
    torch.set_num_threads(2)
    tmp = Path(tempfile.mkdtemp(prefix="s2r-smoke-"))
    try:
        root, runs = tmp / "data", tmp / "runs"
        make_dataset(root)
        base = dict(data_root=str(root), output_dir=str(runs), input_size=(32, 64), batch_size=2,
                    val_every=3, log_every=3, checkpoint_every=3, threads=2, sim_val_frac=0.2)

        # labels: palette indices are labelIds -> trainIds
        lbl = data.read_label(root / "sim/labels/00000.png")
        check(set(np.unique(lbl)) <= {0, 1, 2, 5, 8, 10, 13, 255}, "palette indices decode to trainIds")
        check(len(data.source_items(Config(**base).resolved(), "val")) == 4, "sim val = 20% tail")
        cfgr = Config(**base).resolved()
        check(len(data.target_frames(cfgr)) == 8 and len(data.target_items(cfgr, "test")) == 2,
              "dashcam train frames come from train sequences only")
        check(parse_overrides(["--input_size", "128x256", "--resume", "--teacher_scales", "0.75,1,1.5"])[0]
              == {"input_size": (128, 256), "resume": True, "teacher_scales": (0.75, 1.0, 1.5)},
              "CLI overrides parse (fixed-size and any-length tuples)")
        conf = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 3]])
        s = scores(np.pad(conf, ((0, 16), (0, 16))))
        check(abs(s["iou"]["road"] - 5 / 8) < 1e-9 and s["iou"]["sidewalk"] == 0 and np.isnan(s["iou"]["wall"])
              and abs(s["miou"] - (5 / 8 + 0 + 3 / 5) / 3) < 1e-9, "IoU = TP/(TP+FP+FN), nanmean")

        lg = torch.zeros(1, 19, 1, 6)
        lg[0, 0, 0, :4] = torch.tensor([9.0, 9.0, 1.0, 0.5])  # confident road, unsure road
        lg[0, 5, 0, 4:] = torch.tensor([2.0, 1.0])  # a rare, unsure class (pole)
        pl = methods.pseudo_labels(lg, threshold=0.9, portion=0.5)[0, 0].tolist()
        check(pl == [0, 0, 255, 255, 5, 255], "class-balanced pseudo-labels keep each class's best pixels")
        cm = augment.class_mix_masks(torch.tensor([[[0, 0, 1, 1, 255, 2]]]))[0, 0, 0].tolist()
        check(cm[4] == 0 and cm[0] == cm[1] and cm[2] == cm[3] and sum({0: cm[0], 1: cm[2], 2: cm[5]}.values()) == 2,
              "ClassMix pastes half of the present classes (rounded up), never ignored pixels")
        mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
        gen = torch.Generator().manual_seed(0)
        src = 0.45 + 0.1 * torch.rand(2, 3, 16, 32, generator=gen)  # RGB in [0.45, 0.55]: no clamping below
        tgt = 0.3 + 0.1 * torch.rand(2, 3, 16, 32, generator=gen)
        norm = lambda rgb: (rgb - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
        fda = augment.fda_to_target(norm(src), norm(tgt), 0.1, mean, std)
        rgb = fda * torch.tensor(std).view(1, 3, 1, 1) + torch.tensor(mean).view(1, 3, 1, 1)
        check(torch.allclose(rgb.mean(dim=(2, 3)), tgt.mean(dim=(2, 3)), atol=1e-4)
              and torch.allclose(augment.fda_to_target(norm(src), norm(src), 0.1, mean, std), norm(src), atol=1e-4)
              and not torch.allclose(rgb, tgt, atol=1e-2),
              "FDA gives source frames the target's low frequencies (mean colour) and keeps the rest")

        src = train(Config(method="source_only", iterations=6, multi_level=True, **base))
        check((src / "best.pt").exists() and (src / "config.json").exists(), "source_only: best.pt + config.json")
        log = [json.loads(l) for l in (src / "metrics.jsonl").read_text().splitlines()]
        check(any(e["type"] == "val" and "dashcam_val" in e for e in log), "validation on dashcam val logged")

        # resume: crash a run at iteration 3, resume, compare with the uninterrupted run
        def crashed_then_resumed(steps, **cfg):
            method, orig, calls = cfg["method"], methods.STEPS[cfg["method"]], {"n": 0}

            def crashing(ctx):
                calls["n"] += 1
                if calls["n"] > steps:
                    raise RuntimeError("simulated crash")
                return orig(ctx)
            methods.STEPS[method] = crashing
            try:
                train(Config(**cfg))
            except RuntimeError:
                pass
            finally:
                methods.STEPS[method] = orig
            return load_ckpt(train(Config(resume=True, **cfg)) / "last.pt")

        a = load_ckpt(src / "last.pt")["model"]
        b = crashed_then_resumed(3, method="source_only", iterations=6, multi_level=True, run_name="crash", **base)["model"]
        check(all(torch.equal(a[k], b[k]) for k in a), "resume after a crash reproduces the same weights")

        init = str(src / "best.pt")
        ada = train(Config(method="adaptsegnet", iterations=3, init=init, multi_level=True, lr=2.5e-4, **base))
        adv = train(Config(method="advent", iterations=3, init=init, lambda_ent=0.001, **base))
        st = train(Config(method="self_training", iterations=3, init=init, teacher_scales=(0.75, 1.0, 1.5), teacher_flip=True, **base))
        net, _, _ = load_checkpoint(init)
        x = torch.randn(2, 3, 32, 64)
        with torch.no_grad():
            plain, multi = tta_softmax(net, x), tta_softmax(net, x, (0.75, 1.0, 1.5), True)
        check(torch.equal(plain, F.softmax(net(x), dim=1).detach()) and multi.shape == plain.shape
              and torch.allclose(multi.sum(1), torch.ones(2, 32, 64), atol=1e-5) and not torch.allclose(multi, plain),
              "the teacher's multi-scale + flip softmax is a distribution at the input size; one scale is the plain softmax")
        mix = train(Config(method="dacs", iterations=3, init=init, ema_decay=0.99, pseudo_threshold=0.968,
                           aug_source=True, aug_grey_p=0.5, fda_beta=0.05, **base))
        check(all((r / "best.pt").exists() for r in (ada, adv, st, mix)), "adaptsegnet, advent, self_training, dacs ran")
        bal = dict(method="dacs", init=init, pseudo_balance=0.5, iterations=5, **base)
        full = load_ckpt(train(Config(run_name="bal_full", **bal)) / "last.pt")
        prior = full["step_state"]["target_prior"]
        check(prior.shape == (19,) and abs(float(prior.sum()) - 1) < 1e-4, "pseudo_balance keeps the teacher's running class prior in last.pt")
        cut = crashed_then_resumed(4, run_name="bal_cut", **bal)
        check(torch.equal(cut["step_state"]["target_prior"], prior) and all(torch.equal(cut["model"][k], v) for k, v in full["model"].items()),
              "a crashed-then-resumed pseudo_balance run ends with the same prior and weights as an uninterrupted one")

        pc = prior_correct(ada / "best.pt", tmp / "prior" / "best.pt", balance=0.5, frames=4)
        corrected, ccfg, cck = load_checkpoint(tmp / "prior" / "best.pt")
        base_net, _, _ = load_checkpoint(ada / "best.pt")
        x = torch.randn(2, 3, 32, 64)
        with torch.no_grad():
            want = balance_probabilities(F.softmax(base_net(x), 1), torch.tensor(cck["target_prior"]), 0.5).argmax(1)
            got = corrected(x).argmax(1)
        check(pc["frames"] == 4 and ccfg.prior_balance == 0.5 and (got == want).float().mean() >= 0.999
              and Config.load(tmp / "prior" / "config.json").prior_balance == 0.5
              and "target prior correction (0.5, 4 frames)" in recipe(ccfg),
              "prior correction folds prior^-balance into the classifier bias: same argmax as rebalanced probabilities")
        for run in (src, ada):
            for split in ("sim_val", "dashcam_val", "dashcam_test"):
                res = evaluate_checkpoint(run / "best.pt", split)
        check(0 <= res["miou"] <= 1 and res["n_images"] == 2, "evaluate writes per-split JSON")
        cs = evaluate_checkpoint(ada / "best.pt", "dashcam_test", {"target_format": "cityscapes",
                                 "target_dir": str(root / "cs")}, out=tmp / "cs.json")
        check(abs(cs["miou"] - res["miou"]) < 1e-12 or (np.isnan(cs["miou"]) and np.isnan(res["miou"])),
              "Cityscapes layout gives the same score")

        # S2R_SMOKE_MODELS_OUT keeps the exported model so the TypeScript suite can run it in ORT.
        models = Path(os.environ.get("S2R_SMOKE_MODELS_OUT") or tmp / "models")
        card = export(ada / "best.pt", name="adaptsegnet", out_dir=models)
        onnx.checker.check_model(onnx.load(str(models / "adaptsegnet.onnx")))
        check(card["metrics"]["dashcam_test"] is not None and len(card["reference"]["frames"]) == 2,
              "export: card with metrics and reference masks")
        d_card = json.loads((models / "adaptsegnet_discriminator.card.json").read_text())
        onnx.checker.check_model(onnx.load(str(models / "adaptsegnet_discriminator.onnx")))
        check(d_card["input"]["transform"] == "softmax", "discriminator exported with its card")
        mix_card = export(mix / "best.pt", name="mixed", out_dir=tmp / "mixed", disc_from=ada / "best.pt")
        mix_d = json.loads((tmp / "mixed" / "mixed_discriminator.card.json").read_text())
        check(mix_card["discriminator"] == "mixed_discriminator.onnx" and mix_d["method"] == "adaptsegnet"
              and "source photometric aug" in mix_card["training"]["recipe"],
              "a self-trained model exports with the discriminator of its adversarial stage (--disc_from)")

        model, cfg, _ = load_checkpoint(ada / "best.pt")
        x = torch.randn(2, 3, 48, 80)  # another batch and size: the axes must be dynamic
        ref = onnx_ref.run(models / "adaptsegnet.onnx", {"input": x.numpy()})["logits"]
        with torch.no_grad():
            pt = model(x).numpy()
        check(ref.shape == (2, 19, 48, 80) and np.abs(ref - pt).max() < 1e-4,
              f"ONNX graph (numpy interpreter) matches PyTorch, max diff {np.abs(ref - pt).max():.2e}")
        r0 = card["reference"]["frames"][0]
        small = Image.open(models / "reference/adaptsegnet" / r0["input"])
        xin = data.normalize(small, cfg.mean, cfg.std)[None].numpy()
        mask = onnx_ref.run(models / "adaptsegnet.onnx", {"input": xin})["logits"].argmax(1)[0]
        saved = np.array(Image.open(models / "reference/adaptsegnet" / r0["mask"]))
        check((mask == saved).mean() >= 0.999, "reference mask reproduced from the ONNX graph")
        dd = onnx_ref.run(models / "adaptsegnet_discriminator.onnx",
                          {"input": np.full((1, 19, 64, 128), 1 / 19, np.float32)})["logits"]
        check(dd.shape == (1, 1, 2, 4), "discriminator patch map is H/32 x W/32")

        # A fresh clone has the exported models but not their runs: import gives the checkpoint back.
        imp = import_onnx(models / "adaptsegnet.onnx", tmp / "imported" / "best.pt",
                          disc_onnx=models / "adaptsegnet_discriminator.onnx")
        back, bcfg, bck = load_checkpoint(tmp / "imported" / "best.pt")
        with torch.no_grad():
            diff = float((back(x) - model(x)).abs().max())
        check(diff < 1e-4 and imp["disc_max_abs_diff"] < 1e-4 and "main" in bck["discs"] and bcfg.run_name == "imported"
              and (tmp / "imported" / "config.json").exists(),
              f"import: the exported graph and card become a checkpoint with the same outputs (max diff {diff:.1e})")
        # Test-time augmentation is exported inside the graph; its output is log of the averaged softmax.
        tta_card = export(tmp / "imported" / "best.pt", name="tta", out_dir=tmp / "tta",
                          overrides={"tta_scales": (0.75, 1.0), "tta_flip": True})
        tta = TestTimeAugmented(back, (0.75, 1.0), True)
        with torch.no_grad():
            want = tta(x).numpy()
            probs = tta_softmax(back, x, (0.75, 1.0), True)
        got = onnx_ref.run(tmp / "tta" / "tta.onnx", {"input": x.numpy()})["logits"]
        check(np.abs(got - want).max() < 1e-4 and np.allclose(np.exp(got), probs.numpy(), atol=1e-5)
              and tta_card["test_time_augmentation"]["forward_passes"] == 4
              and "test-time aug (scales 0.75,1 + flip)" in tta_card["training"]["recipe"]
              and json.loads((tmp / "tta" / "tta_discriminator.card.json").read_text())["training"] == d_card["training"],
              f"TTA export: the graph averages 4 views as PyTorch does (max diff {np.abs(got - want).max():.1e})")

        readme = tmp / "README.md"
        readme.write_text("x\n<!-- results:start -->\n<!-- results:end -->\ny\n")
        report(runs=runs, readme=readme)
        text = readme.read_text()
        check("| adaptsegnet | adaptsegnet |" in text and "Per-class IoU" in text and text.endswith("y\n"),
              "report fills the README between the markers")
    except Exception:
        traceback.print_exc()
        print(f"SMOKE TEST FAILED after {time.time() - t0:.1f} s")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"smoke test passed in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
