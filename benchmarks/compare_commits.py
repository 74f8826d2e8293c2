"""dendrax at one commit against another, in one run: the "no regression within 5 %" check.

``python benchmarks/compare_commits.py BASE [HEAD] [--quick] [--rounds 2] [--threshold 0.05]``

BASE (and HEAD, if given; default: the working tree as it is, uncommitted changes included)
is checked out with ``git worktree add`` into a temporary folder. Both trees are then run
through the same harness, this folder's ``run_dendrax.py`` on the same model files (those of
``run_all.py``: cable, binary tree and SWC cell at ~100, ~1,000 and ~10,000 compartments), with
``PYTHONPATH=<tree>/src`` so that each run imports its own tree's dendrax (checked from the
runner's ``dendrax_origin``). Runs are interleaved per model, BASE HEAD then HEAD BASE (one
round each), so that a drift of the machine's load hits both trees alike; every run is a fresh
process. Reported per model: the forward run time (median of the steady-state repeats; the
median over rounds), its CPU time, the compile time (first call minus steady state), HEAD/BASE
ratios with the spread of the per-round ratios, and the max |dV| between the two trees'
traces. A run-time ratio above ``1 + threshold`` is flagged as a regression (exit status 1).

Writes the table to stdout and the run (with both trees' provenance) to
``<out>/runs/<date>-<head>-vs-<base>-compare.json``; ``report.py`` renders it again.
Expected duration on 2 CPU cores: ~6-7 minutes for the full set with 2 rounds, ~1.5 minutes
with ``--quick`` (100 and 1,000 compartments).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _provenance as P  # noqa: E402
import models  # noqa: E402
import report  # noqa: E402
from run_all import QUICK_REPEATS, REPEATS, run_json  # noqa: E402


def git(*args: str, cwd: Path = ROOT) -> str:
    p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout.strip()


def add_worktree(rev: str, dest: Path) -> dict:
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    git("worktree", "add", "--detach", str(dest), sha)
    return {"rev": rev, "path": str(dest), "worktree": True, "label": sha[:7]}


def max_dv(a: Path, b: Path) -> float:
    x, y = np.load(a), np.load(b)
    keys = [k for k in x.files if k != "t"]
    if sorted(keys) != sorted(k for k in y.files if k != "t"):
        return float("nan")
    return max(float(np.max(np.abs(x[k] - y[k]))) for k in keys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="the reference commit (any git revision)")
    ap.add_argument("head", nargs="?", help="the commit to check (default: the working tree)")
    ap.add_argument("--quick", action="store_true", help="100 and 1,000 comps, fewer repeats")
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--families", nargs="+", default=list(models.FAMILIES))
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds per model")
    ap.add_argument("--threshold", type=float, default=0.05, help="regression threshold")
    ap.add_argument("--platform", default="cpu", help="JAX_PLATFORMS for the runs")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for runs/")
    ap.add_argument("--keep", action="store_true", help="keep the temporary worktrees")
    args = ap.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else list(models.SIZES))
    repeats = QUICK_REPEATS if args.quick else REPEATS

    t_all = time.perf_counter()
    prov = P.provenance("compare")
    tmp = Path(tempfile.mkdtemp(prefix="dendrax_compare_"))
    made: list[Path] = []
    try:
        trees = {"base": add_worktree(args.base, tmp / "base")}
        made.append(tmp / "base")
        if args.head:
            trees["head"] = add_worktree(args.head, tmp / "head")
            made.append(tmp / "head")
        else:
            trees["head"] = {"rev": None, "path": str(ROOT), "worktree": False}
        for t in trees.values():
            t["git"] = P.git_state(t["path"])
            if not t["worktree"]:
                t["label"] = "working tree " + P.git_label(t["git"])
            if not (Path(t["path"]) / "src" / "dendrax" / "__init__.py").exists():
                raise SystemExit(f"{t['path']}: no src/dendrax in this tree")
        print(f"BASE {trees['base']['label']} ({trees['base']['path']})", flush=True)
        print(f"HEAD {trees['head']['label']} ({trees['head']['path']})", flush=True)

        paths = models.generate(tmp / "models", sizes, args.families)
        (tmp / "traces").mkdir()
        results: dict = {
            "provenance": prov,
            "config": {
                "base": args.base,
                "head": args.head or "working tree",
                "sizes": sizes,
                "families": args.families,
                "rounds": args.rounds,
                "repeats": {str(k): v for k, v in repeats.items()},
                "threshold": args.threshold,
                "platform": args.platform,
                "harness": "run_dendrax.py of the working tree for both trees",
            },
            "trees": trees,
            "models": {},
        }
        for path in paths:
            model = json.loads(path.read_text())
            name, ncomp = model["name"], model["n_compartments"]
            size = min(repeats, key=lambda s: abs(s - ncomp))
            per: dict = {"n_compartments": ncomp, "base": [], "head": []}
            for r in range(args.rounds):
                order = ("base", "head") if r % 2 == 0 else ("head", "base")
                for which in order:
                    tree = Path(trees[which]["path"])
                    env = dict(
                        os.environ,
                        JAX_PLATFORMS=args.platform,
                        PYTHONUNBUFFERED="1",
                        PYTHONPATH=os.pathsep.join([str(tree / "src"), str(HERE)]),
                    )
                    traces = tmp / "traces" / f"{name}_{which}_{r}.npz"
                    cmd = [sys.executable, str(HERE / "run_dendrax.py"), str(path)]
                    cmd += ["--repeats", str(repeats[size]), "--traces", str(traces)]
                    print(
                        f"[{time.perf_counter() - t_all:5.0f} s] {name} round {r + 1}: {which}",
                        flush=True,
                    )
                    res = run_json(cmd, 1200, env)
                    origin = res.get("dendrax_origin", {}).get("file") or ""
                    if "error" not in res and not origin.startswith(str(tree / "src")):
                        res = {"error": f"imported dendrax from {origin}, not {tree / 'src'}"}
                    res["traces"] = str(traces)
                    per[which].append(res)
                    if "error" in res:
                        print(f"    {res['error']}", flush=True)
                    else:
                        print(
                            f"    run {res['run_s']:.4g} s (CPU {res['run_cpu_s']:.4g} s), "
                            f"compile {res['compile_s']:.3g} s",
                            flush=True,
                        )
            results["models"][name] = per

        rows = []
        thr = args.threshold
        for name, per in results["models"].items():
            errs = [x["error"] for w in ("base", "head") for x in per[w] if "error" in x]
            if errs:
                rows.append({"model": name, "error": errs[0]})
                continue
            b, h = per["base"], per["head"]

            def med(runs: list[dict], key: str) -> float:
                return statistics.median(x[key] for x in runs)

            run_s = (med(b, "run_s"), med(h, "run_s"))
            cpu_s = (med(b, "run_cpu_s"), med(h, "run_cpu_s"))
            comp = (med(b, "compile_s"), med(h, "compile_s"))
            rr = [y["run_s"] / x["run_s"] for x, y in zip(b, h)]
            ratio = run_s[1] / run_s[0]
            verdict = "REGRESSION" if ratio > 1 + thr else "faster" if ratio < 1 - thr else "ok"
            if min(rr) <= 1 + thr < max(rr) or min(rr) < 1 - thr <= max(rr):
                verdict += " (rounds disagree)"
            rows.append({
                "model": name,
                "ncomp": per["n_compartments"],
                "run_s": run_s,
                "run_cpu_s": cpu_s,
                "compile_s": comp,
                "xla_compile_s": (med(b, "xla_compile_s"), med(h, "xla_compile_s")),
                "run_ratio": ratio,
                "run_ratio_rounds": rr,
                "run_cpu_ratio": cpu_s[1] / cpu_s[0],
                "compile_ratio": comp[1] / comp[0],
                "max_abs_dv_mV": max_dv(Path(b[0]["traces"]), Path(h[0]["traces"])),
                "verdict": verdict,
            })  # fmt: skip
        ok = [r for r in rows if "error" not in r]
        reg = [r["model"] for r in ok if r["run_ratio"] > 1 + thr]
        creg = [r["model"] for r in ok if r["compile_ratio"] > 1 + thr]
        errors = [r["model"] for r in rows if "error" in r]
        summary = (
            f"Run time HEAD/BASE {report.span([r['run_ratio'] for r in ok], '.3f')} over "
            f"{len(ok)} models (by CPU time {report.span([r['run_cpu_ratio'] for r in ok], '.3f')})"
            f"; regressions over {thr:.0%}: {', '.join(reg) or 'none'}; compile time HEAD/BASE "
            f"{report.span([r['compile_ratio'] for r in ok], '.2f')} (over {thr:.0%}: "
            f"{', '.join(creg) or 'none'})"
            + (f"; errors: {', '.join(errors)}" if errors else "")
            + "."
        )
        results["rows"] = rows
        results["summary"] = summary
        results["regressions"] = reg
        P.finish(prov, t_all)
        stamp = prov["date"][:19].replace(":", "")
        label = {k: t["label"].split()[-1].replace("+", "-") for k, t in trees.items()}
        named = P.store_run(
            results, args.out, stem=f"{stamp}-{label['head']}-vs-{label['base']}-compare"
        )
        print()
        print(report.compare_markdown(results))
        print(f"wrote {named}")
    finally:
        if args.keep:
            print(f"kept {tmp} (remove with: git worktree remove --force {tmp}/base)")
        for d in made:
            if not args.keep:
                subprocess.run(["git", "worktree", "remove", "--force", str(d)], cwd=ROOT)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT)
    sys.exit(1 if reg or errors else 0)


if __name__ == "__main__":
    main()
