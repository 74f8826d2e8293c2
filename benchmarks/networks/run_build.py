"""Build and compile one network of a 3-compartment template in dendrax; print one JSON line.

``python benchmarks/networks/run_build.py --cells N [--syn-per-cell K] [--connections M]
[--tstop-ms 10] [--profile]``

The network (Python API): ``N`` copies of one template (a 20 x 20 µm soma and a 200 x 2 µm
dendrite of 2 compartments, hh everywhere: 3 compartments), a spike detector on every soma,
``K`` ExpSyn on every dendrite, ``dx.Random(p)`` from all cells to all synapses with ``p`` set
for about ``M`` connections (default 10 per cell), weights 0.001 µS, delays U(1, 5) ms, a step
into cell 0 and one voltage recording.

Timed apart: ``describe_s`` (``dx.Network``: add_cells, detect, place, connect),
``compile_system_s`` (``dx.compile``: lowering to a System), ``build_s`` (their sum),
``trace_s`` (``jax.jit(dx.simulate).lower``), ``xla_compile_s`` (``.compile()``) and one run
(``run_s``, ``--tstop-ms``, default 10 ms). ``--profile`` runs the build under cProfile and adds
its top functions (by cumulative and by own time) to the output.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401


def describe(dx, np, n_cells: int, syn_per_cell: int, n_conn: int, seed: int = 0):
    bg = dx.BranchGeometry.cylinder
    tmpl = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 2.0, 2, parent=0, kind="basal")])
    tmpl.insert(dx.HH())
    net = dx.Network()
    pop = net.add_cells(tmpl, n_cells, name="c")
    net.detect(pop, at=(0, 0.5), threshold_mV=0.0)
    syn = net.place(dx.ExpSyn(tau=2.0, e=0.0), np.repeat(pop.cells, syn_per_cell), at=(1, 0.5))
    n_pairs = n_cells * n_cells * syn_per_cell
    p = min(1.0, n_conn / n_pairs)
    net.connect(
        pop,
        syn,
        dx.Random(p),
        weight_uS=0.001,
        delay_ms=lambda rng, n: np.round(rng.uniform(1.0, 5.0, n), 3),
        seed=seed,
    )
    net.stimulate(dx.IClamp(1.0, 1e9, 0.3), 0, (0, 0.5))
    net.record("v", 0, (0, 0.5), "v0")
    return net, p


def top(prof: cProfile.Profile, key: str, n: int = 25) -> list[str]:
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    st.strip_dirs().sort_stats(key).print_stats(n)
    lines = s.getvalue().splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")), 0)
    return [ln.rstrip() for ln in lines[start:] if ln.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, required=True)
    ap.add_argument("--syn-per-cell", type=int, default=1)
    ap.add_argument("--connections", type=int, help="about this many (default 10 per cell)")
    ap.add_argument("--tstop-ms", type=float, default=10.0)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-run", action="store_true", help="stop after the XLA compile")
    ap.add_argument("--build-only", action="store_true", help="stop after dx.compile")
    args = ap.parse_args()
    t0 = time.perf_counter()
    import jax
    import numpy as np

    import dendrax as dx

    import_s = time.perf_counter() - t0
    n_conn = args.connections if args.connections is not None else 10 * args.cells
    prof = cProfile.Profile() if args.profile else None
    if prof:
        prof.enable()
    t0 = time.perf_counter()
    net, p = describe(dx, np, args.cells, args.syn_per_cell, n_conn)
    t1 = time.perf_counter()
    system = dx.compile(net, 0.025, args.tstop_ms)
    jax.block_until_ready(system)
    t2 = time.perf_counter()
    if prof:
        prof.disable()
    result = {
        "simulator": "dendrax",
        "n_cells": int(net.n_cells),
        "n_compartments": int(system.n_comp),
        "n_synapses": int(net.n_synapses),
        "n_connections": int(net.n_connections),
        "p": p,
        "import_s": import_s,
        "describe_s": t1 - t0,
        "compile_system_s": t2 - t1,
        "build_s": t2 - t0,
        "profiled": bool(prof),
        "rss_after_build_mib": C.rss_mib(),
    }
    if args.build_only:
        if prof:
            result["profile_cumulative"] = top(prof, "cumulative")
            result["profile_tottime"] = top(prof, "tottime")
        C.report(result)
        return
    t0 = time.perf_counter()
    lowered = jax.jit(dx.simulate).lower(system)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    result.update(trace_s=t1 - t0, xla_compile_s=t2 - t1, compile_s=t2 - t0)
    if not args.no_run:
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(system))
        result["run_s"] = time.perf_counter() - t0
        result["n_steps"] = int(round(args.tstop_ms / 0.025))
    if prof:
        result["profile_cumulative"] = top(prof, "cumulative")
        result["profile_tottime"] = top(prof, "tottime")
    C.report(result)


if __name__ == "__main__":
    main()
