"""Command line: python3 -m s2r {train|evaluate|export|report|config} --key value ...
Every config field is an option (see `python3 -m s2r config`); command options are listed below."""
import json
import sys
from pathlib import Path

from .config import Config, parse_overrides

USAGE = """usage: python3 -m s2r COMMAND [--key value ...]
  train     --method source_only|adaptsegnet|advent|oracle|self_training|dacs [--init CKPT] [--resume]
            [--config base.json] [any config field]
  evaluate  --checkpoint CKPT --split dashcam_test[,sim_val,dashcam_val] [--out JSON] [--max_images N]
  export    --checkpoint CKPT [--name NAME] [--out_dir DIR] [--ref_frames FILE,FILE|DIR] [--ref_count N]
            [--disc_name NAME] [--disc_from CKPT]
  report    [--runs DIR] [--readme PATH] [--checkpoint best|last]
  pseudo    --checkpoint CKPT [--split dashcam_val] [--balance 0,0.25,0.5,0.75,1] [--every 5]
            (pseudo-label quality of a teacher at each pseudo_balance)
  adabn     --checkpoint CKPT --out CKPT [--frames N]   (re-estimate BatchNorm statistics on target frames)
  prior     --checkpoint CKPT --out CKPT [--balance 0.5] [--frames N]   (fold the target class prior^-balance
            into the classifier bias, as the teachers' pseudo_balance does)
  import    --onnx MODEL.onnx --out CKPT [--disc_onnx D.onnx]   (a checkpoint from an exported model and its
            card: evaluate, correct or re-export the shipped models on a machine without their runs)
  config    print the default config (or --config base.json merged with overrides) as JSON"""


def _config_from(overrides: dict, base_path=None) -> Config:
    base = Config.load(base_path).to_dict() if base_path else {}
    base.update(overrides)
    return Config.from_dict(base)


def cmd_train(argv):
    overrides, extra = parse_overrides(argv, ("config",))
    cfg = _config_from(overrides, extra.get("config"))
    if cfg.resume:
        # The run's own config.json is the base: a resumed run is the same run, only the options
        # given again on the command line (say --iterations) change.
        saved = cfg.resolved().run_dir / "config.json"
        if saved.exists():
            cfg = _config_from(overrides, saved)
            cfg.resume = True
    from .train import train
    run_dir = train(cfg)
    print(f"run dir: {run_dir}")


def cmd_evaluate(argv):
    overrides, extra = parse_overrides(argv, ("checkpoint", "split", "out", "max_images"))
    if "checkpoint" not in extra:
        raise SystemExit("evaluate needs --checkpoint")
    from .evaluate import evaluate_checkpoint, format_scores
    splits = str(extra.get("split", "dashcam_test")).split(",")
    if extra.get("out") and len(splits) > 1:
        raise SystemExit("--out takes one --split")
    for split in splits:
        res = evaluate_checkpoint(extra["checkpoint"], split, overrides, extra.get("out"),
                                  int(extra.get("max_images", 0)))
        print(format_scores(res))
        print(f"-> {res['path']}")


def cmd_export(argv):
    overrides, extra = parse_overrides(argv, ("checkpoint", "name", "out_dir", "ref_frames", "ref_count",
                                                     "disc_name", "disc_from"))
    if "checkpoint" not in extra:
        raise SystemExit("export needs --checkpoint")
    from .export import export
    frames = extra.get("ref_frames")
    card = export(extra["checkpoint"], name=extra.get("name"), out_dir=extra.get("out_dir"),
                  ref_frames=frames.split(",") if isinstance(frames, str) else None,
                  ref_count=int(extra.get("ref_count", 3)), overrides=overrides,
                  disc_name=extra.get("disc_name"), disc_from=extra.get("disc_from"))
    print(json.dumps({k: card[k] for k in ("name", "file", "sha256")}, indent=1))


def cmd_report(argv):
    _, extra = parse_overrides(argv, ("runs", "readme", "checkpoint"))
    from .report import report
    report(runs=extra.get("runs"), readme=extra.get("readme"), checkpoint=extra.get("checkpoint", "best"))


def cmd_config(argv):
    overrides, extra = parse_overrides(argv, ("config",))
    print(json.dumps(_config_from(overrides, extra.get("config")).resolved().to_dict(), indent=2))


def cmd_adabn(argv):
    overrides, extra = parse_overrides(argv, ("checkpoint", "out", "frames"))
    if "checkpoint" not in extra or "out" not in extra:
        raise SystemExit("adabn needs --checkpoint and --out")
    from .adabn import adabn
    print(json.dumps(adabn(extra["checkpoint"], extra["out"], frames=int(extra.get("frames", 512)), overrides=overrides)))


def cmd_prior(argv):
    overrides, extra = parse_overrides(argv, ("checkpoint", "out", "balance", "frames"))
    if "checkpoint" not in extra or "out" not in extra:
        raise SystemExit("prior needs --checkpoint and --out")
    from .prior_correction import prior_correct
    print(json.dumps(prior_correct(extra["checkpoint"], extra["out"], balance=float(extra.get("balance", 0.5)),
                                   frames=int(extra.get("frames", 512)), overrides=overrides)))


def cmd_pseudo(argv):
    overrides, extra = parse_overrides(argv, ("checkpoint", "split", "balance", "every"))
    if "checkpoint" not in extra:
        raise SystemExit("pseudo needs --checkpoint")
    from .pseudo_probe import probe
    balances = [float(b) for b in str(extra.get("balance", "0,0.25,0.5,0.75,1")).split(",")]
    for r in probe(extra["checkpoint"], str(extra.get("split", "dashcam_val")), balances, int(extra.get("every", 5)), overrides):
        print(f"balance {r['balance']:g}: mIoU {100 * r['miou']:.1f} on {r['n_images']} frames; "
              + ", ".join(f"{k} {100 * r['iou'][k]:.1f}" for k in ("road", "building", "vegetation", "terrain", "sky")))


def cmd_import(argv):
    overrides, extra = parse_overrides(argv, ("onnx", "out", "disc_onnx"))
    if "onnx" not in extra or "out" not in extra:
        raise SystemExit("import needs --onnx and --out")
    from .onnx_import import import_onnx
    print(json.dumps(import_onnx(extra["onnx"], extra["out"], extra.get("disc_onnx"), overrides)))


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "export": cmd_export,
            "report": cmd_report, "config": cmd_config, "adabn": cmd_adabn,
            "pseudo": cmd_pseudo, "prior": cmd_prior, "import": cmd_import}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]](argv[1:])
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
