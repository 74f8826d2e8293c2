"""Benchmark 5: a large network of CA1-morphology cells in dendrax: forward time and peak
memory, and the largest network that fits in 24 GB for the forward run and for the gradient.

``python benchmarks/networks/bench_ca1.py [--quick] [--sizes 250 500 1000 2000]
[--grad-sizes 250 500 1000] [--in-degree 500] [--tstop-ms 200] [--neuron]``

The network is ``run_ca1.py``'s: N CA1 cells (``ca1_n120.swc`` cut to branch order 5,
``dx.MaxLength(100)``: 46 compartments), 20 ExpSyn per cell, ``dx.Random`` with 500
connections per cell on average (2,000 cells: ~1,000,000 connections), 200 ms at dt 0.025 ms.
Each size and mode is its own process; its peak RSS (``ru_maxrss`` via ``os.wait4``) is the
memory figure. ``--neuron`` also runs NEURON on the largest forward size (the same network
written as ``neuroref-network/1``) and compares the spike counts.

**The largest network that fits in 24 GB** (the method): with the per-cell structure held
fixed (compartments, synapses and connections per cell), peak RSS grows linearly in the number
of cells; a least-squares line ``RSS = a + b N`` through the measured sizes gives
``N_max = (24 GiB - a) / b`` for the forward run and for the gradient separately (the report
prints a, b, N_max and the fit's largest relative residual; trust it as far as the sizes
measured reach: an extrapolation). ``--quick``: 20 and 40 cells, 50 connections per cell,
20 ms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _net  # noqa: E402
import netreport as report  # noqa: E402
import numpy as np  # noqa: E402

BUDGET_GIB = 24.0


def fit(points: dict) -> dict | None:
    """Least-squares RSS (MiB) = a + b * cells over the sizes that ran; N for 24 GiB."""
    xs = [
        (r["n_cells"], r["child_maxrss_mib"])
        for r in points.values()
        if "error" not in r and r.get("child_maxrss_mib")
    ]
    if len(xs) < 2:
        return None
    n, m = (np.asarray(v, float) for v in zip(*xs))
    b, a = np.polyfit(n, m, 1)
    resid = float(np.max(np.abs(a + b * n - m) / m))
    n_max = (BUDGET_GIB * 1024 - a) / b if b > 0 else None
    return {
        "a_mib": float(a),
        "b_mib_per_cell": float(b),
        "max_rel_residual": resid,
        "budget_gib": BUDGET_GIB,
        "n_cells_max": None if n_max is None else int(n_max),
        "sizes": [int(v) for v in n],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="+", help="cells, forward runs")
    ap.add_argument("--grad-sizes", type=int, nargs="*", help="cells, gradient runs")
    ap.add_argument("--in-degree", type=int)
    ap.add_argument("--syn-per-cell", type=int, default=20)
    ap.add_argument("--tstop-ms", type=float)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--neuron", action="store_true", help="NEURON on the largest forward size")
    ap.add_argument("--platform", default="cpu")
    ap.add_argument("--workdir")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    sizes = args.sizes or ([20, 40] if args.quick else [250, 500, 1000, 2000])
    grad_sizes = (
        args.grad_sizes
        if args.grad_sizes is not None
        else ([20] if args.quick else [250, 500, 1000])
    )
    k = args.in_degree or (50 if args.quick else 500)
    tstop = args.tstop_ms or (20.0 if args.quick else 200.0)
    prov, t0 = _net.start("net-ca1")
    work = _net.workdir(args.workdir)
    py, script = sys.executable, str(_net.HERE / "run_ca1.py")
    env = _net.child_env(args.platform)
    base = [
        "--in-degree",
        str(k),
        "--syn-per-cell",
        str(args.syn_per_cell),
        "--tstop-ms",
        str(tstop),
        "--repeats",
        str(args.repeats),
    ]
    fwd, grad, neuron = {}, {}, {}
    for n in sizes:
        print(f"forward, {n} cells ...", flush=True)
        extra = []
        if args.neuron and n == max(sizes):
            extra = [
                "--write-json",
                str(work / f"ca1_{n}.json"),
                "--spikes",
                str(work / f"ca1_{n}_dendrax.npz"),
            ]
        fwd[str(n)] = _net.run_child([py, script, "--cells", str(n), *base, *extra], 14400, env)
        print("   ", report.short(fwd[str(n)]), flush=True)
    for n in grad_sizes:
        print(f"gradient, {n} cells ...", flush=True)
        grad[str(n)] = _net.run_child(
            [py, script, "--cells", str(n), "--mode", "grad", *base], 14400, env
        )
        print("   ", report.short(grad[str(n)]), flush=True)
    if args.neuron:
        n = max(sizes)
        model = work / f"ca1_{n}.json"
        if model.exists():
            print(f"NEURON, {n} cells ...", flush=True)
            neuron = _net.run_child(
                [
                    py,
                    str(_net.HERE / "run_neuron_net.py"),
                    str(model),
                    "--repeats",
                    "1",
                    "--spikes",
                    str(work / f"ca1_{n}_neuron.npz"),
                ],
                14400,
            )
            print("   ", report.short(neuron), flush=True)
            if "error" not in neuron:
                from bench_ballstick import agreement

                neuron["agreement"] = agreement(
                    work / f"ca1_{n}_neuron.npz", work / f"ca1_{n}_dendrax.npz"
                )
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "sizes": sizes,
            "grad_sizes": grad_sizes,
            "in_degree": k,
            "syn_per_cell": args.syn_per_cell,
            "tstop_ms": tstop,
            "dt_ms": 0.025,
            "repeats": args.repeats,
            "platform": args.platform,
        },
        "runs": {"forward": fwd, "grad": grad, "neuron": neuron},
        "fit": {"forward": fit(fwd), "grad": fit(grad)},
    }
    _net.store(results, "ca1", report.render(results), t0, args.out)


if __name__ == "__main__":
    main()
