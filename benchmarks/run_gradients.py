"""Gradients and batched throughput, dendrax against Jaxley 0.14, side by side.

``python benchmarks/run_gradients.py [--repeats N] [--batch-100 B] [--devices N] [--quick]``

Every measurement runs in its own subprocess (``grad_dendrax.py`` / ``grad_jaxley.py``), so
that its peak RSS (``ru_maxrss``) is its own. Measured, on the CPU, float64, dt 0.025 ms,
100 ms (4,000 steps):

1. gradient / forward time: jitted ``value_and_grad`` of the MSE of the somatic trace
   (against -65 mV) w.r.t. HH gnabar, gkbar, gl (one shared value each) on ``cable_100`` and
   ``cable_1000``; dendrax ``checkpoint_levels=2``, Jaxley ``checkpoint_lengths`` set to the
   same sizes (80 x 50); the forward is the jitted loss alone;
2. compile time of the jitted gradient: first call minus the steady-state median;
3. peak RSS of the gradient process right after the gradient runs;
4. batched throughput over gnabar values (0.5x-1.5x) of a single compartment (``--batch-1``
   sets, default 1,000) and of ``cable_100`` (``--batch-100`` sets, default 1,000), compared
   like for like on the same devices:

   - one device each: dendrax ``jax.vmap`` against Jaxley ``jax.vmap``;
   - ``--devices`` CPU devices each (default: one per core): ``dendrax.batch_map`` against
     Jaxley's ``jax.vmap`` inside ``jax.shard_map`` over the same devices (what ``batch_map``
     does; ``grad_jaxley.py --devices``);

   plus, labelled as what it is, dendrax on N devices against Jaxley's plain vmap on one.
   Batch programs are compiled ahead of time, so compile and run times are measured apart.
   The traces of every variant are checked against Jaxley's plain vmap (max |dV|).

Writes ``results/gradients.json`` and ``results/gradients.md`` (``--out``), and keeps the
run, with its provenance, as ``results/runs/<date>-<commit>-gradients.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _provenance as P  # noqa: E402

MODELS = HERE / "_models"
RESULTS = HERE / "results"
GRAD_MODELS = ("cable_100", "cable_1000")
# the batch variants: (key, simulator, extra arguments, devices used)
VARIANTS = ("dendrax", "jaxley", "dendrax_batch_map", "jaxley_shard_map")


def run(sim: str, model: Path, *extra: str) -> dict:
    cmd = [sys.executable, str(HERE / f"grad_{sim}.py"), str(model), *extra]
    print("$", " ".join(cmd[1:]), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"{sim} failed on {model.name}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def median(xs: list[float]) -> float:
    return float(np.median(xs))


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def max_dv(a: Path, b: Path) -> float:
    return float(np.max(np.abs(np.load(a)["v"] - np.load(b)["v"])))


def grad_rows(grad: dict) -> list[dict]:
    rows = []
    for name, r in grad.items():
        d, j = r["dendrax"], r["jaxley"]
        dcpu, jcpu = median(d["run_cpu_s_all"]), median(j["run_cpu_s_all"])
        rows.append({
            "model": name,
            "n_compartments": d["n_compartments"],
            "checkpoint": d["checkpoint_sizes"],
            "grad_s": (d["run_s"], j["run_s"]),
            "grad_cpu_s": (dcpu, jcpu),
            "fwd_s": (d["fwd_s"], j["fwd_s"]),
            "grad_over_fwd": (d["run_s"] / d["fwd_s"], j["run_s"] / j["fwd_s"]),
            "grad_over_fwd_cpu": (
                dcpu / median(d["fwd_cpu_s_all"]),
                jcpu / median(j["fwd_cpu_s_all"]),
            ),
            "grad_D_over_J": d["run_s"] / j["run_s"],
            "grad_D_over_J_cpu": dcpu / jcpu,
            "compile_s": (d["compile_s"], j["compile_s"]),
            "peak_rss_mib": (d["grad_maxrss_mib"], j["grad_maxrss_mib"]),
            "mem_D_over_J": d["grad_maxrss_mib"] / j["grad_maxrss_mib"],
            "max_rel_grad_diff": max(
                abs(d["grad"][a] - j["grad"][b]) / max(abs(j["grad"][b]), 1e-300)
                for a, b in (("gnabar", "HH_gNa"), ("gkbar", "HH_gK"), ("gl", "HH_gLeak"))
            ),
            "load": max(d["loadavg_1min"], j["loadavg_1min"]),
        })  # fmt: skip
    return rows


def batch_rows(batch: dict) -> list[dict]:
    """One row per comparison: (dendrax variant, Jaxley variant) and whether like for like."""
    rows = []
    for name, r in batch.items():
        pairs = [("dendrax", "jaxley", "vmap on 1 device each", True)]
        if "dendrax_batch_map" in r:
            n = r["dendrax_batch_map"]["devices"]
            if "jaxley_shard_map" in r:
                pairs.append(("dendrax_batch_map", "jaxley_shard_map", f"{n} devices each", True))
            pairs.append(
                ("dendrax_batch_map", "jaxley", f"dendrax on {n} devices, Jaxley on 1", False)
            )
        for dk, jk, how, fair in pairs:
            d, j = r[dk], r[jk]
            rows.append({
                "model": name,
                "comparison": how,
                "like_for_like": fair,
                "dendrax": dk,
                "jaxley": jk,
                "devices": (d.get("devices") or 1, j.get("devices") or 1),
                "chunk": d.get("chunk"),
                "n_compartments": d["n_compartments"],
                "batch": d["batch"],
                "sims_per_s": (d["batch"] / d["run_s"], j["batch"] / j["run_s"]),
                "sims_per_s_cpu": (d["batch"] / d["run_cpu_s"], j["batch"] / j["run_cpu_s"]),
                "D_over_J": j["run_s"] / d["run_s"],
                "D_over_J_cpu": j["run_cpu_s"] / d["run_cpu_s"],
                "compile_s": (d["compile_s"], j["compile_s"]),
                "max_abs_dv_mV": (d.get("max_abs_dv_mV"), j.get("max_abs_dv_mV")),
                "load": max(d["loadavg_1min"], j["loadavg_1min"]),
            })  # fmt: skip
    return rows


def span(xs, fmt="{:.2f}", unit=""):
    lo, hi = fmt.format(min(xs)), fmt.format(max(xs))
    return (lo if lo == hi else f"{lo}-{hi}") + unit


def targets(rows: list[dict], brows: list[dict]) -> dict:
    gf = [r["grad_over_fwd"][0] for r in rows]
    gj = [r["grad_D_over_J"] for r in rows]
    gjc = [r["grad_D_over_J_cpu"] for r in rows]
    comp = [r["compile_s"][0] for r in rows]
    mem = [r["mem_D_over_J"] for r in rows]
    fair = [b for b in brows if b["like_for_like"]]
    one = [b["D_over_J"] for b in fair if b["devices"] == (1, 1)]
    many = [b["D_over_J"] for b in fair if b["devices"][0] > 1]
    cross = [b["D_over_J"] for b in brows if not b["like_for_like"]]
    text = f"vmap vs vmap on 1 device {span(one, unit='x')}"
    if many:
        text += f"; batch_map vs Jaxley shard_map on the same devices {span(many, unit='x')}"
    if cross:
        text += (
            f" (not like for like: batch_map on N devices vs Jaxley on 1 {span(cross, unit='x')})"
        )
    return {
        "gradient/forward <= 3 (dendrax)": (span(gf), max(gf) <= 3),
        "batched throughput >= 2x Jaxley (same devices)": (text, min(one + many) >= 2),
        "gradient time <= 0.5x Jaxley": (
            f"{span(gj, unit='x')} (CPU time {span(gjc, unit='x')})",
            max(gj) <= 0.5,
        ),
        "gradient compile < 2 s (dendrax)": (span(comp, unit=" s"), max(comp) < 2),
        "gradient peak memory <= 0.5x Jaxley": (span(mem, unit="x"), max(mem) <= 0.5),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-repeats", type=int, default=2)
    ap.add_argument("--batch-1", type=int, default=1000)
    ap.add_argument("--batch-100", type=int, default=1000)
    ap.add_argument("--devices", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--chunk", type=int, default=None, help="batch_map chunk size")
    ap.add_argument(
        "--reuse-grad",
        nargs="?",
        const=str(RESULTS / "gradients.json"),
        metavar="FILE",
        help="take the gradient rows from FILE (default: the last gradients.json; its "
        "provenance is kept under provenance.grad_reused_from), rerun only the batches",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: gradient of cable_100 only, 1 repeat, batches of 8 and 4",
    )
    ap.add_argument("--out", default=str(RESULTS), help="folder for gradients.json/.md, runs/")
    args = ap.parse_args()
    if args.quick:
        args.repeats, args.batch_repeats, args.batch_1, args.batch_100 = 1, 1, 8, 4
    import models

    t_all = time.perf_counter()
    prov = P.provenance("gradients")
    grad_names = GRAD_MODELS[:1] if args.quick else GRAD_MODELS
    grad_models = [MODELS / f"{m}.json" for m in grad_names]
    if not all(p.exists() for p in grad_models):
        models.generate(MODELS, sizes=(100, 1000), families=("cable",))
    tmp = Path(tempfile.mkdtemp(prefix="dendrax_grad_"))
    single = tmp / "cable_1.json"
    single.write_text(json.dumps(models.cable(1)))

    out: dict = {
        "provenance": prov,
        "config": {
            "repeats": args.repeats,
            "batch_repeats": args.batch_repeats,
            "batch_1": args.batch_1,
            "batch_100": args.batch_100,
            "devices": args.devices,
            "chunk": args.chunk,
            "quick": args.quick,
        },
        "grad": {},
        "batch": {},
    }
    previous = json.loads(Path(args.reuse_grad).read_text()) if args.reuse_grad else None
    if previous is not None:
        prov["grad_reused_from"] = {
            "file": args.reuse_grad,
            "provenance": previous.get("provenance", "none recorded"),
        }
    for m in grad_models:
        if previous is not None:
            out["grad"][m.stem] = previous["grad"][m.stem]
            continue
        d = run("dendrax", m, "--repeats", str(args.repeats))
        sizes = [str(s) for s in d["checkpoint_sizes"]]
        j = run("jaxley", m, "--repeats", str(args.repeats), "--checkpoint", *sizes)
        out["grad"][m.stem] = {"dendrax": d, "jaxley": j}
    chunk = [] if args.chunk is None else ["--chunk", str(args.chunk)]
    for m, b in ((single, args.batch_1), (MODELS / "cable_100.json", args.batch_100)):
        rep = ["--mode", "batch", "--batch", str(b), "--repeats", str(args.batch_repeats)]
        dev = ["--devices", str(args.devices)]
        extra = {
            "dendrax": [],
            "jaxley": [],
            "dendrax_batch_map": dev + chunk,
            "jaxley_shard_map": dev,
        }
        res = {}
        for key in VARIANTS:
            traces = tmp / f"{m.stem}_{key}.npz"
            res[key] = run(key.split("_")[0], m, *rep, *extra[key], "--traces", str(traces))
        ref = tmp / f"{m.stem}_jaxley.npz"
        for key in VARIANTS:  # agreement of every variant with Jaxley's plain vmap
            res[key]["max_abs_dv_mV"] = max_dv(ref, tmp / f"{m.stem}_{key}.npz")
        out["batch"][m.stem] = res

    rows, brows = grad_rows(out["grad"]), batch_rows(out["batch"])
    out["summary"] = {"grad": rows, "batch": brows, "targets": targets(rows, brows)}
    P.finish(prov, t_all)
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    stored = P.store_run(out, dest)
    (dest / "gradients.json").write_text(json.dumps(out, indent=1))
    import report

    text = report.gradients_markdown(out, source=stored.name)
    (dest / "gradients.md").write_text(text)
    print(text)
    print(f"wrote {dest / 'gradients.json'}, {dest / 'gradients.md'} and {stored}")


if __name__ == "__main__":
    main()
