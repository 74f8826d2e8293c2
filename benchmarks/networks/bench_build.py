"""Benchmark 2: dendrax network build and compile time against the number of cells and of
connections.

``python benchmarks/networks/bench_build.py [--quick] [--cells 10 100 1000 10000]
[--connections 100 1000 10000 100000 1000000] [--profile-largest]``

Two sweeps, each point in a fresh process (``run_build.py``): one 3-compartment template
(hh soma + 2-compartment hh dendrite) copied N = 10 ... 10,000 times, one ExpSyn per cell, about
10 connections per cell (``dx.Random``); then 1,000 cells with 10 ExpSyn each and 100 ...
1,000,000 connections (``dx.Random`` from all cells to all synapses). Reported per point:
describe (``dx.Network`` calls), ``dx.compile``, build (their sum), tracing, XLA compile, one
10 ms run and peak RSS. Goals: compile (tracing + XLA) < 2 s at every size (flat); build of
10,000 cells < 10 s. ``--profile-largest`` (on by default) reruns the largest point of each
sweep under cProfile and stores the top functions; ``--features`` (on by default, off with
``--quick``) adds the compile time by network feature (``run_compile_features.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _net  # noqa: E402
import netreport as report  # noqa: E402

GOALS = {"compile_s": 2.0, "build_10000_cells_s": 10.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="10 and 100 cells; 100 cells with 1,000 conns"
    )
    ap.add_argument("--cells", type=int, nargs="+")
    ap.add_argument("--connections", type=int, nargs="+")
    ap.add_argument("--conn-cells", type=int, default=1000, help="cells of the connection sweep")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument(
        "--features",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compile time by network feature (default: on, off with --quick)",
    )
    ap.add_argument("--platform", default="cpu")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    cells = args.cells or ([10, 100] if args.quick else [10, 100, 1000, 10000])
    conns = args.connections or ([1000] if args.quick else [100, 1000, 10000, 100000, 1000000])
    conn_cells = 100 if args.quick else args.conn_cells
    prov, t0 = _net.start("net-build")
    py, script = sys.executable, str(_net.HERE / "run_build.py")
    env = _net.child_env(args.platform)
    points: dict = {"cells": {}, "connections": {}, "profiles": {}}
    for n in cells:
        print(f"{n} cells ...", flush=True)
        r = _net.run_child([py, script, "--cells", str(n)], 1800, env)
        points["cells"][str(n)] = r
        print("   ", report.short(r), flush=True)
    for m in conns:
        print(f"{conn_cells} cells, {m} connections ...", flush=True)
        cmd = [
            py,
            script,
            "--cells",
            str(conn_cells),
            "--syn-per-cell",
            "10",
            "--connections",
            str(m),
        ]
        r = _net.run_child(cmd, 1800, env)
        points["connections"][str(m)] = r
        print("   ", report.short(r), flush=True)
    if not args.no_profile:
        big = [
            ("cells", [py, script, "--cells", str(max(cells)), "--profile", "--build-only"]),
            (
                "connections",
                [
                    py,
                    script,
                    "--cells",
                    str(conn_cells),
                    "--syn-per-cell",
                    "10",
                    "--connections",
                    str(max(conns)),
                    "--profile",
                    "--build-only",
                ],
            ),
        ]
        for label, cmd in big:
            print(f"profile of the largest {label} point ...", flush=True)
            points["profiles"][label] = _net.run_child(cmd, 1800, env)
    if args.features if args.features is not None else not args.quick:
        print("compile time by feature ...", flush=True)
        points["features"] = _net.run_child(
            [py, str(_net.HERE / "run_compile_features.py")], 1800, env
        )
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "cells": cells,
            "connections": conns,
            "conn_cells": conn_cells,
            "platform": args.platform,
        },
        "goals": GOALS,
        "points": points,
    }
    _net.store(results, "build", report.render(results), t0, args.out)


if __name__ == "__main__":
    main()
