"""A new user's first trace: a fresh process imports dendrax, builds one cell with the Python
API, compiles it and runs it once (jitted, 100 ms at dt 0.025 ms, float64). Reports JSON.

``python benchmarks/first_trace.py [--cell ballstick | --cell PATH.swc] [--ncomp K]``

``import_s`` is ``import dendrax``; ``after_import_s`` (the target: under 2 s) is everything after
it: build + ``dx.compile`` + the first ``jax.jit(dx.simulate)`` call until the trace is ready.
"""

from __future__ import annotations

import argparse
import time

import _common as C


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", default="ballstick", help="'ballstick' or an SWC file")
    ap.add_argument("--ncomp", type=int, help="compartments per branch of an SWC cell")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import jax

    import dendrax as dx

    t1 = time.perf_counter()
    if args.cell == "ballstick":
        cell = dx.Cell(
            [
                dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma", name="soma"),
                dx.BranchGeometry.cylinder(500.0, 2.0, 25, parent=0, kind="basal", name="dend"),
            ]
        )
    else:
        policy = dx.NComp(args.ncomp) if args.ncomp else dx.DLambda()
        cell = dx.Cell.from_swc(args.cell, policy)
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(5.0, 90.0, 1.0), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v_soma")
    t2 = time.perf_counter()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=100.0)
    t3 = time.perf_counter()
    res = jax.jit(dx.simulate)(system)
    v = jax.block_until_ready(res["v_soma"])
    t4 = time.perf_counter()
    C.report(
        {
            "simulator": "dendrax",
            "cell": args.cell,
            "n_compartments": int(system.n_comp),
            "process_start_to_import_s": t0 - C.T_START,
            "import_s": t1 - t0,
            "build_s": t2 - t1,
            "compile_system_s": t3 - t2,
            "first_jit_call_s": t4 - t3,
            "after_import_s": t4 - t1,
            "spikes": int(((v[:-1] < 0) & (v[1:] >= 0)).sum()),
        }
    )


if __name__ == "__main__":
    main()
