"""Where the Hay L5PC's time goes in dendrax: compile time and time per step as the
mechanisms of ``L5PCbiophys3`` are added one by one to the same 702-compartment cell.

    python benchmarks/hay/profile_hay.py [--t-stop-ms 100] [--repeats 3]

Each row is the bundled cell with Hay's geometry and cable (``hay_geometry``, Ra 100, cm as
Hay's), pas everywhere, and the mechanisms listed so far inserted where ``L5PCbiophys3`` puts
them with its values; ions as in the full model. For each: the forward's tracing + lowering
and XLA compile times (``jax.jit(...).lower(...).compile()``; wall and process CPU), the
number of XLA fusions (kernels) of the optimised program, and the steady-state run time
(minimum of ``--repeats``, wall and CPU), per step. The increments between rows are the cost
of each mechanism. Writes ``benchmarks/hay/profile.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import _provenance  # noqa: E402
import jax  # noqa: E402

import dendrax as dx  # noqa: E402
from dendrax.models import BIOPHYS3, COMPILE_OPTIONS, hay_geometry, insert_biophys3  # noqa: E402

ORDER = (
    "pas",
    "Ih",
    "NaTa_t",
    "SKv3_1",
    "K_Tst",
    "K_Pst",
    "Nap_Et2",
    "Im",
    "Ca_HVA",
    "Ca_LVAst",
    "CaDynamics_E2",
    "SK_E2",
)


def subset(mechanisms: tuple[str, ...]) -> dict:
    """BIOPHYS3 restricted to ``mechanisms``."""
    return {r: {s: v for s, v in m.items() if s in mechanisms} for r, m in BIOPHYS3.items()}


def build(mechanisms: tuple[str, ...], geometry, t_stop: float) -> dx.System:
    cell = dx.Cell(geometry)
    apical = next(k for k, b in enumerate(geometry.branches) if b.kind == "apical")
    insert_biophys3(cell, (apical, 0.0), subset(mechanisms))
    cell.record("v", at=(0, 0.5), key="soma")
    return dx.compile(cell, 0.025, t_stop, **COMPILE_OPTIONS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-stop-ms", type=float, default=100.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "profile.json")
    args = ap.parse_args()
    prov = _provenance.provenance("hay-profile")
    t_start = time.perf_counter()
    geometry = hay_geometry()
    rows = []
    for k in range(1, len(ORDER) + 1):
        mechanisms = ORDER[:k]
        system = build(mechanisms, geometry, args.t_stop_ms)
        fn = jax.jit(lambda s: dx.simulate(s)["soma"])
        c0, t0 = time.process_time(), time.perf_counter()
        lowered = fn.lower(system)
        c1, t1 = time.process_time(), time.perf_counter()
        compiled = lowered.compile()
        c2, t2 = time.process_time(), time.perf_counter()
        jax.block_until_ready(fn(system))
        runs, cpus = [], []
        for _ in range(args.repeats):
            c3, t3 = time.process_time(), time.perf_counter()
            jax.block_until_ready(fn(system))
            runs.append(time.perf_counter() - t3)
            cpus.append(time.process_time() - c3)
        row = {
            "mechanisms": list(mechanisms),
            "added": mechanisms[-1],
            "trace_lower_s": t1 - t0,
            "xla_compile_s": t2 - t1,
            "trace_lower_cpu_s": c1 - c0,
            "xla_compile_cpu_s": c2 - c1,
            "xla_fusions": compiled.as_text().count(" fusion("),
            "run_s": min(runs),
            "us_per_step": min(runs) / system.n_steps * 1e6,
            "cpu_us_per_step": min(cpus) / system.n_steps * 1e6,
        }
        rows.append(row)
        print(
            f"+{row['added']:14s} trace+lower {row['trace_lower_s']:5.2f} s  XLA "
            f"{row['xla_compile_s']:5.2f} s (CPU {row['xla_compile_cpu_s']:5.2f} s, "
            f"{row['xla_fusions']} fusions)  {row['us_per_step']:7.1f} µs/step "
            f"(CPU {row['cpu_us_per_step']:6.1f})",
            flush=True,
        )
    out = {
        "t_stop_ms": args.t_stop_ms,
        "n_compartments": geometry.n_compartments,
        "rows": rows,
        "provenance": _provenance.finish(prov, t_start),
    }
    args.out.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
