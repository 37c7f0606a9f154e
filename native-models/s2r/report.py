"""Writes the results tables into native-models/README.md between the results markers, from the
evaluation JSON files written by `evaluate` (run_dir/eval/<checkpoint>_<split>.json). Numbers are
never typed by hand: rerun `python3 -m s2r report` after evaluating."""
import json
import math
from pathlib import Path

from .classes import CLASS_NAMES
from .config import NATIVE_DIR

START, END = "<!-- results:start -->", "<!-- results:end -->"
ORDER = ["source_only", "adaptsegnet", "advent", "self_training", "dacs", "oracle"]
SPLITS = [("dashcam_test", "dashcam test"), ("sim_val", "sim val")]


def _pct(v):
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def collect(runs: Path, checkpoint="best") -> list:
    rows = []
    for run in sorted(p for p in runs.glob("*") if (p / "eval").is_dir()):
        evals = {}
        # A run stopped before its first validation has only last.pt: its evaluation stands in.
        for name in (checkpoint, "last"):
            for split, _ in SPLITS + [("dashcam_val", "")]:
                p = run / "eval" / f"{name}_{split}.json"
                if p.exists() and split not in evals:
                    evals[split] = json.loads(p.read_text())
            if evals:
                break
        if evals:
            any_eval = next(iter(evals.values()))
            rows.append({"run": run.name, "method": any_eval.get("method", "?"),
                         "recipe": any_eval.get("recipe") or any_eval.get("method", "?"),
                         "iteration": any_eval.get("iteration"), "evals": evals})
    return sorted(rows, key=lambda r: _rank(r["method"], r["run"]))


def _gap(rows, row):
    """(adapted - source_only) / (oracle - source_only) on dashcam test, from runs named by method."""
    def miou(method):
        cands = [r for r in rows if r["method"] == method and "dashcam_test" in r["evals"]]
        cands.sort(key=lambda r: r["run"] != method)  # the run named after the method wins
        return cands[0]["evals"]["dashcam_test"]["miou"] if cands else None
    src, orc = miou("source_only"), miou("oracle")
    mine = row["evals"].get("dashcam_test", {}).get("miou")
    if row["method"] in ("source_only", "oracle") or None in (src, orc, mine) or orc == src:
        return "–"
    return f"{100 * (mine - src) / (orc - src):.0f}%"


def _rank(method, run):
    return (ORDER.index(method) if method in ORDER else len(ORDER), run)


def previous_rows(body: str) -> dict:
    """The rows of an earlier report, per table ('main' or a split): {table: {run: line}}. Runs whose
    folders are not on this machine (runs/ is git-ignored) keep their rows instead of vanishing."""
    titles = {f"Per-class IoU (%), {title}:": split for split, title in SPLITS}
    out, table = {}, None
    for line in body.splitlines():
        if line.startswith("| model | recipe"):
            table = "main"
        elif line in titles:
            table = titles[line]
        elif table and line.startswith("| ") and not line.startswith("| model"):
            out.setdefault(table, {})[line.split("|")[1].strip()] = line
    return out


def tables(rows, kept=None) -> str:
    kept = {t: {run: line for run, line in lines.items() if run not in {r["run"] for r in rows}}
            for t, lines in (kept or {}).items()}
    if not rows and not kept.get("main"):
        return "_No evaluated models yet: train, then `python3 -m s2r evaluate`, then `python3 -m s2r report`._"
    rank = {r["run"]: _rank(r["method"], r["run"]) for r in rows}
    for run, line in kept.get("main", {}).items():  # the recipe cell starts with the method
        rank[run] = _rank(line.split("|")[2].strip().split(" + ")[0], run)
    merge = lambda lines, table: [l for _, l in sorted(lines + [(run, l) for run, l in kept.get(table, {}).items()],
                                                       key=lambda x: rank.get(x[0], (len(ORDER) + 1, x[0])))]
    out = ["| model | recipe | iteration | dashcam test mIoU | sim val mIoU | dashcam val mIoU | gap closed |",
           "|---|---|---|---|---|---|---|"]
    lines = []
    for r in rows:
        e = r["evals"]
        m = lambda s: _pct(e[s]["miou"]) if s in e else "–"
        lines.append((r["run"], f"| {r['run']} | {r['recipe']} | {r['iteration']} | {m('dashcam_test')} | {m('sim_val')} "
                                f"| {m('dashcam_val')} | {_gap(rows, r)} |"))
    out += merge(lines, "main")
    for split, title in SPLITS:
        have = [r for r in rows if split in r["evals"]]
        if not have and not kept.get(split):
            continue
        out += ["", f"Per-class IoU (%), {title}:", "",
                "| model | " + " | ".join(CLASS_NAMES) + " | mIoU |",
                "|---" * (len(CLASS_NAMES) + 2) + "|"]
        lines = []
        for r in have:
            ev = r["evals"][split]
            lines.append((r["run"], f"| {r['run']} | " + " | ".join(_pct(ev["iou"].get(c)) for c in CLASS_NAMES)
                                    + f" | {_pct(ev['miou'])} |"))
        out += merge(lines, split)
    out += ["", "gap closed = (model − source_only) / (oracle − source_only) on dashcam test mIoU; "
                "checkpoints chosen on dashcam val; test evaluated once. Rows of runs not on the machine that "
                "wrote this report are kept from the report before it."]
    return "\n".join(out)


def report(runs=None, readme=None, checkpoint="best") -> str:
    runs = Path(runs) if runs else NATIVE_DIR / "runs"
    readme = Path(readme) if readme else NATIVE_DIR / "README.md"
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} lacks the {START} / {END} markers")
    head, rest = text.split(START, 1)
    old, tail = rest.split(END, 1)
    body = tables(collect(runs, checkpoint), previous_rows(old))
    readme.write_text(f"{head}{START}\n{body}\n{END}{tail}")
    print(f"wrote results of {runs} into {readme}")
    return body
