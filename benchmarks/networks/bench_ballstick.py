"""Benchmark 1: a ball-and-stick network in dendrax and NEURON 9 on the same description.

``python benchmarks/networks/bench_ballstick.py [--quick] [--dendrite pas|weak-hh]
[--neuron-threads 1 2] [--builds json api] [--repeats 3]``

Full size: 100 cells x 100 compartments (hh soma + 99-compartment dendrite), 5 ExpSyn per cell,
every ordered pair of distinct cells connected (p = 1: 9,900 connections) into one synapse of
the post cell, delays U(1, 5) ms, 200 ms at dt 0.025 ms (8,000 steps), backward Euler,
float64 (``netmodels.ballstick``). ``--quick``: 10 cells x 20 compartments, 50 ms.

The network is written once as a ``neuroref-network/1`` JSON file. NEURON builds and runs it
with ``tests/validation/regenerate_network_neuron.py`` (``run_neuron_net.py``); dendrax reads
it with ``dx.load_network`` (``--builds json``) and, for comparison, builds the same network
with the Python API (``api``: ``add_cells`` of one template, ``place``, ``connect``;
``netmodels.network_api``). Each run is a fresh process, one after the other. Reported: build,
``dx.compile``, tracing and XLA compile (from empty caches), steady-state run (median of
repeats), µs per step, peak RSS (``os.wait4``), spike counts per cell against NEURON's, and
dendrax/NEURON run-time ratios (goal <= 0.5). Results: ``benchmarks/results/networks/
ballstick.json`` / ``.md`` and ``benchmarks/results/runs/<date>-<commit>-net-ballstick.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _net  # noqa: E402
import netmodels  # noqa: E402
import netreport as report  # noqa: E402
import numpy as np  # noqa: E402

GOAL = 0.5


def agreement(ref: Path, other: Path) -> dict:
    """Spike counts per cell and the largest spike-time difference (ms) against NEURON's
    (NEURON reports t_n + 1e-10 ms; dendrax the grid time t_n)."""
    a, b = np.load(ref), np.load(other)
    ca = {int(c): a[f"cell{c}"] for c in a["cells"]}
    cb = {int(c): b[f"cell{c}"] for c in b["cells"]}
    if set(ca) != set(cb):
        return {"error": "different detector cells"}
    diff_cells = [c for c in ca if ca[c].size != cb[c].size]
    dt = [
        float(np.max(np.abs(ca[c] - 1e-10 - cb[c])))
        for c in ca
        if ca[c].size == cb[c].size and ca[c].size
    ]
    return {
        "spikes_ref": int(sum(v.size for v in ca.values())),
        "spikes": int(sum(v.size for v in cb.values())),
        "cells_with_other_count": len(diff_cells),
        "first_differing_cells": diff_cells[:10],
        "same_counts": not diff_cells,
        "max_spike_time_diff_ms": max(dt) if dt else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 cells x 20 comps, 50 ms")
    ap.add_argument("--n-cells", type=int)
    ap.add_argument("--n-dend", type=int, help="dendrite compartments per cell")
    ap.add_argument("--p", type=float, default=1.0, help="connection probability per pair")
    ap.add_argument("--syn-per-cell", type=int, default=5)
    ap.add_argument("--tstop-ms", type=float)
    ap.add_argument("--dendrite", choices=("pas", "weak-hh"), default="pas")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--builds", nargs="+", choices=("json", "api"), default=["json", "api"])
    ap.add_argument("--neuron-threads", type=int, nargs="+", default=[1])
    ap.add_argument("--neuron-mode", choices=("continuerun", "fadvance"), default="continuerun")
    ap.add_argument("--platform", default="cpu", help="JAX_PLATFORMS of the dendrax runs")
    ap.add_argument("--workdir", help="folder for the model and spike files (default: temp)")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    n_cells = args.n_cells or (10 if args.quick else 100)
    n_dend = args.n_dend or (19 if args.quick else 99)
    tstop = args.tstop_ms or (50.0 if args.quick else 200.0)
    repeats = args.repeats or (2 if args.quick else 3)
    prov, t0 = _net.start("net-ballstick")
    work = _net.workdir(args.workdir)
    data = netmodels.ballstick(n_cells, n_dend, args.syn_per_cell, args.p, tstop, args.dendrite)
    model = work / f"{data['name']}.json"
    model.write_text(json.dumps(data))
    print(
        f"{model}: {data['n_cells']} cells, {data['n_compartments']} compartments, "
        f"{data['n_synapses']} synapses, {data['n_connections']} connections",
        flush=True,
    )
    py = sys.executable
    here = _net.HERE
    runs: dict = {}
    for k in args.neuron_threads:
        name = f"neuron_{k}thread"
        print(f"NEURON ({k} thread) ...", flush=True)
        runs[name] = _net.run_child(
            [
                py,
                str(here / "run_neuron_net.py"),
                str(model),
                "--repeats",
                str(repeats),
                "--mode",
                args.neuron_mode,
                "--threads",
                str(k),
                "--spikes",
                str(work / f"{name}.npz"),
            ],
            3600,
        )
        print("   ", report.short(runs[name]), flush=True)
    env = _net.child_env(args.platform)
    for b in args.builds:
        name = f"dendrax_{b}"
        print(f"dendrax (build {b}) ...", flush=True)
        runs[name] = _net.run_child(
            [
                py,
                str(here / "run_dendrax_net.py"),
                str(model),
                "--build",
                b,
                "--repeats",
                str(repeats),
                "--spikes",
                str(work / f"{name}.npz"),
            ],
            3600,
            env,
        )
        print("   ", report.short(runs[name]), flush=True)
    ref = f"neuron_{args.neuron_threads[0]}thread"
    agree = {}
    for name in runs:
        if name != ref and "error" not in runs[name] and "error" not in runs.get(ref, {"error": 1}):
            agree[name] = agreement(work / f"{ref}.npz", work / f"{name}.npz")
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "n_cells": n_cells,
            "n_dend": n_dend,
            "p": args.p,
            "syn_per_cell": args.syn_per_cell,
            "tstop_ms": tstop,
            "dt_ms": data["dt_ms"],
            "dendrite": args.dendrite,
            "repeats": repeats,
            "neuron_mode": args.neuron_mode,
            "platform": args.platform,
        },
        "model": {
            k: data[k]
            for k in (
                "name",
                "description",
                "n_cells",
                "n_compartments",
                "n_synapses",
                "n_connections",
            )
        },
        "goal_ratio": GOAL,
        "reference": ref,
        "runs": runs,
        "agreement": agree,
    }
    _net.store(results, "ballstick", report.render(results), t0, args.out)


if __name__ == "__main__":
    main()
