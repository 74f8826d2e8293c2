"""Imported (.mod via dx.load_mod) against hand-written library mechanisms: import time per
file, compile time and time per step of the same cell with 17 mechanisms (+ pas).

The cell: a soma (20 x 20 µm, one compartment) with the 12 Hay et al. (2011) mechanisms and a
200 µm x 2 µm dendrite (20 compartments) with the 5 Pospischil et al. (2008) mechanisms, pas
everywhere, 34 °C, a 0.5 nA somatic step (20-920 ms), 1 s at dt 0.025 ms (40,000 steps), backward
Euler, float64, the soma voltage recorded. Each variant (``library`` / ``imported``) runs in
its own fresh process; compile = ``jax.jit(simulate).lower(system)`` (trace) +
``.compile()`` (XLA), run = the compiled call, all as process CPU time (min of ``--repeats``)
and wall time.

    python benchmarks/nmodl/bench_nmodl.py              # writes benchmarks/nmodl/results.json
    python benchmarks/nmodl/bench_nmodl.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MOD_DIR = ROOT / "tests" / "validation" / "channels" / "mod"
sys.path.insert(0, str(ROOT / "benchmarks"))
HAY = ("NaTa_t", "NaTs2_t", "Nap_Et2", "K_Pst", "K_Tst", "SKv3_1", "SK_E2", "Ih", "Im",
       "Ca_HVA", "Ca_LVAst", "CaDynamics_E2")  # fmt: skip
POSPISCHIL = ("hh2", "im", "ical", "it", "cad")
T_STOP_MS, DT_MS = 1000.0, 0.025


def _clock():
    return time.process_time(), time.perf_counter()


def _since(start):
    c, w = _clock()
    return c - start[0], w - start[1]


def classes(variant: str) -> tuple[dict, dict]:
    """``(name -> class, name -> first-import (cpu s, wall s))`` for ``variant``."""
    import dendrax as dx

    if variant == "library":
        lib = (*dx.mechanisms.hay.MECHANISMS, *dx.mechanisms.pospischil.MECHANISMS)
        by_name = {c.name: c for c in lib}
        return {n: by_name[n] for n in (*HAY, *POSPISCHIL)}, {}
    out, times = {}, {}
    for path in sorted(MOD_DIR.glob("*.mod")):
        start = _clock()
        cls = dx.load_mod(path)
        times[path.name] = _since(start)
        out[cls.name] = cls
    return {n: out[n] for n in (*HAY, *POSPISCHIL)}, times


def build(cls: dict):
    import dendrax as dx

    bg = dx.BranchGeometry.cylinder
    cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 2.0, 20, parent=0, kind="apical")])
    for name in HAY:
        cell.insert(cls[name](), where="soma")
    for name in POSPISCHIL:
        cell.insert(cls[name](), where="apical")
    cell.insert(dx.Pas(g=3e-5, e=-75.0))
    cell.set_ion("na", erev_mV=50.0).set_ion("k", erev_mV=-85.0)
    cell.stimulate(dx.IClamp(20.0, 900.0, 0.5), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    return dx.compile(cell, dt_ms=DT_MS, t_stop_ms=T_STOP_MS, v_init_mV=-70.0, celsius=34.0)


def measure(variant: str, repeats: int) -> dict:
    """One variant in this process (called in a fresh child process)."""
    import jax
    import numpy as np

    import dendrax as dx

    cls, import_times = classes(variant)
    start = _clock()
    system = build(cls)
    build_s = _since(start)
    fn = jax.jit(lambda s: dx.simulate(s)["v"])
    start = _clock()
    lowered = fn.lower(system)
    trace_s = _since(start)
    start = _clock()
    compiled = lowered.compile()
    xla_s = _since(start)
    v = np.asarray(compiled(system))
    runs = []
    for _ in range(repeats):
        start = _clock()
        jax.block_until_ready(compiled(system))
        runs.append(_since(start))
    n_steps = round(T_STOP_MS / DT_MS)
    return {
        "variant": variant,
        "n_mechanisms": len(cls) + 1,
        "n_compartments": int(system.n_comp),
        "n_steps": n_steps,
        "import_s": {k: {"cpu": c, "wall": w} for k, (c, w) in import_times.items()},
        "build_s": {"cpu": build_s[0], "wall": build_s[1]},
        "trace_s": {"cpu": trace_s[0], "wall": trace_s[1]},
        "xla_s": {"cpu": xla_s[0], "wall": xla_s[1]},
        "run_s": {"cpu": min(r[0] for r in runs), "wall": min(r[1] for r in runs)},
        "us_per_step_cpu": 1e6 * min(r[0] for r in runs) / n_steps,
        "v_max_mV": float(v.max()),
        "v": v.tolist(),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", choices=("library", "imported"), help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=HERE / "results.json")
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(measure(a.child, a.repeats)))
        return 0
    from _provenance import provenance

    prov = provenance("nmodl")
    results = {}
    for _round in range(2):  # interleaved: library, imported, library, imported
        for variant in ("library", "imported"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", variant, "--repeats", str(a.repeats)],
                capture_output=True, text=True, check=True, env=os.environ.copy(),
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            best = results.get(variant)
            if best is None or r["run_s"]["cpu"] < best["run_s"]["cpu"]:
                results[variant] = r
            print(variant, {k: r[k] for k in ("trace_s", "xla_s", "us_per_step_cpu")}, flush=True)
    lib, imp = results["library"], results["imported"]
    import numpy as np

    dv = float(np.max(np.abs(np.asarray(lib.pop("v")) - np.asarray(imp.pop("v")))))
    imports = sorted(c["cpu"] for c in imp["import_s"].values())
    summary = {
        "run_imported_over_library_cpu": imp["run_s"]["cpu"] / lib["run_s"]["cpu"],
        "compile_cpu_s": {v: r["trace_s"]["cpu"] + r["xla_s"]["cpu"] for v, r in results.items()},
        "import_cpu_s_min_median_max": [imports[0], imports[len(imports) // 2], imports[-1]],
        "max_abs_dv_mV_imported_vs_library": dv,
    }
    a.out.write_text(json.dumps({"provenance": prov, "summary": summary, "runs": results},
                                indent=1) + "\n")  # fmt: skip
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
