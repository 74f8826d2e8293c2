"""Peak memory and time of the gradient of a long simulation, per checkpointing level.

The model: an unbranched HH cable of ``--ncomp`` compartments (default 1,000; 2,000 µm long,
2 µm diameter, Ra 100 Ω·cm), a 0.5 nA current step at one end from 1 ms on, simulated for
``--tstop`` ms (default 1,000) at dt = 0.025 ms: 40,000 steps. The loss is the mean squared
voltage at both ends; its gradient is taken with respect to six trainables (gnabar, gkbar, gl,
cm, Ra, radius; each shared over the cable) through a :class:`dendrax.ParameterMap`.

Every level runs in a fresh process, so that its peak resident set size (``ru_maxrss``: JAX,
compilation and the run together) is its own. Usage::

    python benchmarks/gradient_memory.py                      # levels 1, 2, 3 (1 only if it fits)
    python benchmarks/gradient_memory.py --levels 2 3 4 --ncomp 1000 --tstop 1000
    python benchmarks/gradient_memory.py --single 2           # one level, in this process

Level 1 stores every step for the backward pass; before running it, the script asks XLA for the
compiled function's buffer sizes and skips the run if they exceed ``--max-gb``.

The run is kept, with its provenance (commit, date, machine, load, versions), as
``results/runs/<date>-<commit>-memory.json`` (``--out``); ``report.py`` renders the table of
docs/gradients.md from it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def rss_mib(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(levels: int, ncomp: int, tstop_ms: float, dt_ms: float, max_gb: float) -> dict:
    import jax
    import jax.numpy as jnp

    import dendrax as dx
    from dendrax.solve._simulate import checkpoint_levels_for

    cell = dx.Cell([dx.BranchGeometry.cylinder(2.0 * ncomp, 2.0, ncomp, kind="soma")])
    cell.set_cable(Ra_ohm_cm=100.0)
    cell.insert(dx.HH())
    cell.stimulate(dx.IClamp(1.0, tstop_ms, 0.5), at=(0, 0.0))
    cell.record("v", (0, 0.0), key="v0")
    cell.record("v", (0, 1.0), key="v1")
    system = dx.compile(cell, dt_ms=dt_ms, t_stop_ms=tstop_ms)
    T = dx.Trainable
    pm = dx.ParameterMap(
        system,
        [
            T("gnabar", (dx.HH, "gnabar"), transform=dx.Sigmoid(0.01, 0.5)),
            T("gkbar", (dx.HH, "gkbar"), transform=dx.Sigmoid(0.005, 0.2)),
            T("gl", (dx.HH, "gl"), transform=dx.Softplus()),
            T("cm", "cm", transform=dx.Softplus()),
            T("Ra", "Ra", transform=dx.Softplus()),
            T("radius", "radius", transform=dx.Softplus()),
        ],
    )
    params = pm.init()

    def loss(p):
        r = dx.simulate(pm.apply(system, p), checkpoint_levels=levels)
        return jnp.mean(r["v0"] ** 2) + jnp.mean(r["v1"] ** 2)

    sizes = checkpoint_levels_for(system.n_steps, levels)
    base = rss_mib()
    t0 = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(loss)).lower(params).compile()
    compile_s = time.perf_counter() - t0
    out = {
        "levels": levels,
        "level_sizes": list(sizes),
        "n_compartments": system.n_comp,
        "n_steps": system.n_steps,
        "rss_before_compile_mib": round(base, 1),
        "compile_s": round(compile_s, 2),
    }
    stats = compiled.memory_analysis()
    if stats is not None:
        temp = stats.temp_size_in_bytes / 2**20
        out["xla_temp_mib"] = round(temp, 1)
        if temp > max_gb * 1024:
            out["skipped"] = f"XLA needs {temp / 1024:.1f} GiB of buffers (> --max-gb {max_gb})"
            out["peak_rss_mib"] = round(peak_mib(), 1)
            return out
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        value, grad = jax.block_until_ready(compiled(params))
        times.append(time.perf_counter() - t0)
    out["grad_s"] = round(min(times), 3)
    out["peak_rss_mib"] = round(peak_mib(), 1)
    out["grad_finite"] = bool(all(bool(jnp.all(jnp.isfinite(g))) for g in grad.values()))
    fwd = jax.jit(loss).lower(params).compile()
    jax.block_until_ready(fwd(params))
    t0 = time.perf_counter()
    jax.block_until_ready(fwd(params))
    out["forward_s"] = round(time.perf_counter() - t0, 3)
    out["grad_over_forward"] = round(out["grad_s"] / out["forward_s"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--single", type=int, help="measure one level in this process")
    ap.add_argument("--ncomp", type=int, default=1000)
    ap.add_argument("--tstop", type=float, default=1000.0, help="ms")
    ap.add_argument("--dt", type=float, default=0.025, help="ms")
    ap.add_argument("--max-gb", type=float, default=8.0, help="skip runs needing more")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for runs/")
    args = ap.parse_args()
    if args.single is not None:
        print(json.dumps(measure(args.single, args.ncomp, args.tstop, args.dt, args.max_gb)))
        return
    import _provenance as P

    t_all = time.perf_counter()
    prov = P.provenance("memory")
    rows = []
    for level in args.levels:
        cmd = [sys.executable, __file__, "--single", str(level), "--ncomp", str(args.ncomp)]
        cmd += ["--tstop", str(args.tstop), "--dt", str(args.dt), "--max-gb", str(args.max_gb)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append({"levels": level, "error": proc.stderr.strip().splitlines()[-1:]})
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    P.finish(prov, t_all)
    config = {
        "ncomp": args.ncomp,
        "tstop_ms": args.tstop,
        "dt_ms": args.dt,
        "n_steps": int(round(args.tstop / args.dt)),
        "max_gb": args.max_gb,
        "levels": args.levels,
    }
    stored = P.store_run({"provenance": prov, "config": config, "levels": rows}, args.out)
    print(f"wrote {stored}")
    print()
    print("| levels | sizes | peak RSS (MiB) | XLA temp (MiB) | grad (s) | forward (s) | ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['levels']} | {r.get('level_sizes', '')} | {r.get('peak_rss_mib', '')} | "
              f"{r.get('xla_temp_mib', '')} | {r.get('grad_s', r.get('skipped', ''))} | "
              f"{r.get('forward_s', '')} | {r.get('grad_over_forward', '')} |")  # fmt: skip


if __name__ == "__main__":
    main()
