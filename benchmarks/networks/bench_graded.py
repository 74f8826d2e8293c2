"""Benchmark 4: a graded-synapse network, dendrax against Jaxley 0.14: forward run and the
gradient w.r.t. every synaptic weight, with the peak memory of each.

``python benchmarks/networks/bench_graded.py [--quick] [--cells 1000] [--p 0.1]
[--tstop-ms 100] [--modes forward grad] [--sims dendrax jaxley]``

Full size: 1,000 single-compartment HH cells, every ordered pair connected with p = 0.1
(~100,000 graded synapses, the same boolean matrix in both), 100 ms at dt 0.025 ms (4,000
steps), float64 (``run_graded.py`` describes the model). Jaxley: ``IonotropicSynapse`` via
``connectivity_matrix_connect``, gradient with ``checkpoint_lengths=[80, 50]``; dendrax:
``JaxleyIonotropicSynapse`` via ``Network.connect_graded`` (Jaxley's equations and initial
state, so the traces agree to round-off), gradient with two checkpoint levels. Every
(simulator, mode) is its own process; its peak RSS is the process's ``ru_maxrss``
(``os.wait4``, what ``/usr/bin/time -v`` reports). Checked: max |dV| between the recorded
traces, loss and gradient (sorted, relative) between the two. ``--quick``: 40 cells, 10 ms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _net  # noqa: E402
import netreport as report  # noqa: E402
import numpy as np  # noqa: E402


def compare(work: Path, modes) -> dict:
    out: dict = {}
    f = {(s, m): work / f"{s}_{m}.npz" for s in ("dendrax", "jaxley") for m in modes}
    if "forward" in modes and f["dendrax", "forward"].exists() and f["jaxley", "forward"].exists():
        a, b = np.load(f["dendrax", "forward"])["v"], np.load(f["jaxley", "forward"])["v"]
        n = min(a.shape[-1], b.shape[-1])
        out["max_abs_dv_mV"] = float(np.max(np.abs(a[..., :n] - b[..., :n])))
        out["samples"] = [int(a.shape[-1]), int(b.shape[-1])]
    if "grad" in modes and f["dendrax", "grad"].exists() and f["jaxley", "grad"].exists():
        a, b = np.load(f["dendrax", "grad"]), np.load(f["jaxley", "grad"])
        ga, gb = np.sort(a["grad"]), np.sort(b["grad"])
        scale = float(np.max(np.abs(gb))) or 1.0
        out["grad_max_rel_diff_sorted"] = (
            float(np.max(np.abs(ga - gb)) / scale) if ga.shape == gb.shape else None
        )
        out["loss"] = [float(a["loss"]), float(b["loss"])]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="40 cells, 10 ms")
    ap.add_argument("--cells", type=int)
    ap.add_argument("--p", type=float, default=0.1)
    ap.add_argument("--tstop-ms", type=float)
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--modes", nargs="+", choices=("forward", "grad"), default=["forward", "grad"])
    ap.add_argument(
        "--sims", nargs="+", choices=("dendrax", "jaxley"), default=["dendrax", "jaxley"]
    )
    ap.add_argument("--platform", default="cpu")
    ap.add_argument("--workdir")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    cells = args.cells or (40 if args.quick else 1000)
    tstop = args.tstop_ms or (10.0 if args.quick else 100.0)
    repeats = args.repeats or (1 if args.quick else 3)
    prov, t0 = _net.start("net-graded")
    work = _net.workdir(args.workdir)
    py, script = sys.executable, str(_net.HERE / "run_graded.py")
    env = _net.child_env(args.platform)
    runs: dict = {}
    for mode in args.modes:
        for sim in args.sims:
            name = f"{sim}_{mode}"
            print(f"{name} ...", flush=True)
            cmd = [
                py,
                script,
                "--sim",
                sim,
                "--mode",
                mode,
                "--cells",
                str(cells),
                "--p",
                str(args.p),
                "--tstop-ms",
                str(tstop),
                "--repeats",
                str(repeats),
                "--traces",
                str(work / f"{name}.npz"),
            ]
            runs[name] = _net.run_child(cmd, 7200, env)
            print("   ", report.short(runs[name]), flush=True)
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "cells": cells,
            "p": args.p,
            "tstop_ms": tstop,
            "dt_ms": 0.025,
            "repeats": repeats,
            "platform": args.platform,
        },
        "runs": runs,
        "agreement": compare(work, args.modes),
    }
    _net.store(results, "graded", report.render(results), t0, args.out)


if __name__ == "__main__":
    main()
