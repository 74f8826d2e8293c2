"""Benchmark: Hay et al. (2011)'s L5PC at 34 °C, 1 s at dt = 0.025 ms (40,000 steps, 702
compartments): dendrax forward (jit, after compilation) against NEURON 9 on the same cell with
the project's own mod files, the gradient with respect to the 20 fitted densities against the
forward run, and the compile times.

    python benchmarks/hay/bench_hay.py                 # 1 s, 3 repeats (about 10 min)
    python benchmarks/hay/bench_hay.py --t-stop-ms 200 --repeats 2    # shorter

The protocol is a 0.793 nA somatic step from 200 to 800 ms (Hay's step amplitude), recording
the soma voltage, on both sides. NEURON: ``tests/validation/hay/hay_neuron.py``'s model
(Import3d of the same SWC, Hay's template rules), ``finitialize`` + ``ParallelContext.psolve``
and ``finitialize`` + ``continuerun``, the faster one counted; ``secondorder = 0``, fixed dt.
**NEURON's rate tables are not involved:** none of Hay's mod files (nor the project's
versions) has a TABLE statement, so NEURON evaluates every rate exactly, like dendrax.

dendrax: ``jax.jit`` of ``dx.simulate`` returning the soma trace (float64, ``HinesSequential``);
the gradient is ``jax.value_and_grad`` of the mean squared soma voltage with respect to the 20
densities of ``examples/hay_l5pc.py`` (apical Ih, Ca_HVA, Ca_LVAst as scale factors of Hay's
distributions), with simulate's default checkpointing (two levels at 40,000 steps).
Compile times: ``dx.compile`` (the System, NumPy) and the JIT compilation: for the forward,
tracing + lowering and XLA's compilation (``jit(...).lower(...).compile()``, which the first
call then reuses); for the gradient, its first call minus a steady-state run.

Every timed quantity is repeated ``--repeats`` times, interleaved (NEURON, forward, gradient, ...)
because the machine is shared; the minimum wall time is the figure (the process CPU time is
recorded too, and the ratios of the minimum CPU times, which the load disturbs less). Ratios
are printed and written to ``benchmarks/hay/results.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE.parent), str(ROOT / "tests" / "validation" / "hay")]

import _provenance  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import dendrax as dx  # noqa: E402
from dendrax.mechanisms import hay  # noqa: E402
from dendrax.models import BIOPHYS3, COMPILE_OPTIONS, hay_l5pc  # noqa: E402

DT_MS = 0.025
STEP = (200.0, 600.0, 0.793)  # delay, dur (ms), amp (nA) at soma(0.5)
GOALS = {"forward_over_neuron": 0.5, "gradient_over_forward": 5.0, "compile_s": 3.0}
FITTED = [
    ("soma", s)
    for s in (
        "NaTa_t",
        "Nap_Et2",
        "K_Pst",
        "K_Tst",
        "SKv3_1",
        "SK_E2",
        "Ca_HVA",
        "Ca_LVAst",
        "Ih",
        "pas",
    )
] + [
    ("apical", s) for s in ("NaTa_t", "SKv3_1", "SK_E2", "Im", "pas", "Ih", "Ca_HVA", "Ca_LVAst")
] + [("basal", "Ih"), ("basal", "pas")]  # fmt: skip
DISTRIBUTED = ("Ih", "Ca_HVA", "Ca_LVAst")
CHANNEL = {m.name: m for m in hay.MECHANISMS} | {"pas": dx.Pas}
PARAMETER = {"pas": "g"} | {m.name: p for m in hay.MECHANISMS for p in m.parameters if "bar" in p}


def timed(fn) -> tuple[float, float]:
    """(wall, process CPU) seconds of ``fn()``."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


# --- NEURON -------------------------------------------------------------------------------------


def neuron_runner(t_stop: float):
    import hay_neuron as hn

    h = hn.load_mechanisms()
    cell = hn.build(h)
    clamp = h.IClamp(cell["soma"](0.5))
    clamp.delay, clamp.dur, clamp.amp = STEP
    v = h.Vector()
    v.record(cell["soma"](0.5)._ref_v)
    h.CVode().active(0)
    h.celsius, h.secondorder, h.dt = hn.CELSIUS, 0, DT_MS
    h.steps_per_ms = 1.0 / DT_MS
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)

    def run(how: str):
        h.finitialize(hn.V_INIT_MV)
        if how == "psolve":
            pc.psolve(t_stop)
        else:
            h.continuerun(t_stop)
        if abs(h.t - t_stop) > 1e-6:
            raise RuntimeError(f"NEURON stopped at {h.t} ms")

    keep = (cell, clamp, v)  # sections and vectors stay alive with the closure
    return run, (lambda: np.array(keep[2])), int(sum(s.nseg for s in h.allsec()))


# --- dendrax ------------------------------------------------------------------------------------


def dendrax_programs(t_stop: float):
    t0 = time.perf_counter()
    cell = hay_l5pc()
    cell.stimulate(dx.IClamp(*STEP), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="soma")
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    system = dx.compile(cell, DT_MS, t_stop, **COMPILE_OPTIONS)
    system_s = time.perf_counter() - t0

    trainables = [
        dx.Trainable(
            f"{s}_{r}",
            (CHANNEL[s], PARAMETER[s]),
            where=r,
            sharing=dx.PerCompartment() if (r == "apical" and s in DISTRIBUTED) else dx.Shared(),
        )
        for r, s in FITTED
    ]
    pmap = dx.ParameterMap(system, trainables)
    init = pmap.init()
    values = {f"{s}_{r}": BIOPHYS3[r][s][PARAMETER[s]] for r, s in FITTED}
    shapes = {f"{s}_apical": init[f"{s}_apical"] / values[f"{s}_apical"] for s in DISTRIBUTED}
    params = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in values.items()}

    @jax.jit
    def forward(system):
        return dx.simulate(system)["soma"]

    @jax.jit
    def gradient(system, params):
        def loss(p):
            full = {k: shapes[k] * v if k in shapes else jnp.reshape(v, (1,)) for k, v in p.items()}
            v = dx.simulate(pmap.apply(system, full))["soma"]
            return jnp.mean(v**2)

        return jax.value_and_grad(loss)(params)

    info = {
        "n_compartments": int(system.n_comp),
        "n_steps": int(system.n_steps),
        "n_parameters": len(params),
        "cell_build_s": build_s,
        "system_compile_s": system_s,
    }
    return system, params, forward, gradient, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-stop-ms", type=float, default=1000.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    args = ap.parse_args()
    t_start = time.perf_counter()
    prov = _provenance.provenance("hay")
    prov["loadavg_start"] = _provenance.loadavg()

    system, params, forward, gradient, info = dendrax_programs(args.t_stop_ms)
    # compile: tracing + lowering and XLA separately (forward), then the first calls
    c0, t0 = time.process_time(), time.perf_counter()
    lowered = forward.lower(system)
    trace_lower_s, trace_lower_cpu = time.perf_counter() - t0, time.process_time() - c0
    c0, t0 = time.process_time(), time.perf_counter()
    lowered.compile()
    xla_s, xla_cpu = time.perf_counter() - t0, time.process_time() - c0
    first_fwd, _ = timed(lambda: jax.block_until_ready(forward(system)))
    first_grad, _ = timed(lambda: jax.block_until_ready(gradient(system, params)))
    run_neuron, neuron_trace, n_seg = neuron_runner(args.t_stop_ms)

    times: dict[str, list[tuple[float, float]]] = {
        "neuron_psolve": [],
        "neuron_continuerun": [],
        "forward": [],
        "gradient": [],
    }
    load: list = []
    for r in range(args.repeats):
        times["neuron_psolve"].append(timed(lambda: run_neuron("psolve")))
        times["neuron_continuerun"].append(timed(lambda: run_neuron("continuerun")))
        times["forward"].append(timed(lambda: jax.block_until_ready(forward(system))))
        times["gradient"].append(timed(lambda: jax.block_until_ready(gradient(system, params))))
        load.append(_provenance.loadavg())
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in times.items()))

    v_neuron = neuron_trace()
    v_dendrax = np.asarray(forward(system))
    best = {k: min(w for w, _ in v) for k, v in times.items()}
    best_cpu = {k: min(c for _, c in v) for k, v in times.items()}
    neuron_cpu = min(best_cpu["neuron_psolve"], best_cpu["neuron_continuerun"])
    neuron_s = min(best["neuron_psolve"], best["neuron_continuerun"])
    # jit reuses the AOT-compiled executable, so the first call is a plain run: the forward's
    # compile time is tracing + lowering + XLA (its first call minus a run is kept as a check)
    forward_compile = trace_lower_s + xla_s
    gradient_compile = first_grad - best["gradient"]
    ratios = {
        "forward_over_neuron": best["forward"] / neuron_s,
        "gradient_over_forward": best["gradient"] / best["forward"],
        "compile_s": forward_compile,
    }
    ratios_cpu = {
        "forward_over_neuron": best_cpu["forward"] / neuron_cpu,
        "gradient_over_forward": best_cpu["gradient"] / best_cpu["forward"],
        "compile_s": trace_lower_cpu + xla_cpu,
    }
    results = {
        "model": "Hay et al. 2011 L5PC (L5PCbiophys3) on l5pc_with_axon.swc, 60 µm axon stub",
        "t_stop_ms": args.t_stop_ms,
        "dt_ms": DT_MS,
        "celsius": COMPILE_OPTIONS["celsius"],
        "stimulus": {"delay_ms": STEP[0], "dur_ms": STEP[1], "amp_nA": STEP[2]},
        **info,
        "neuron_segments": n_seg,
        "neuron_rate_tables": "none (no TABLE statement in Hay's mod files)",
        "repeats": args.repeats,
        "wall_s_min": best,
        "wall_s_all": {k: [w for w, _ in v] for k, v in times.items()},
        "cpu_s_all": {k: [c for _, c in v] for k, v in times.items()},
        "cpu_s_min": best_cpu,
        "loadavg_after_round": load,
        "neuron_s": neuron_s,
        "compile": {
            "forward_s": forward_compile,
            "forward_first_call_minus_run_s": first_fwd - best["forward"],
            "forward_trace_lower_s": trace_lower_s,
            "forward_xla_s": xla_s,
            "forward_trace_lower_cpu_s": trace_lower_cpu,
            "forward_xla_cpu_s": xla_cpu,
            "gradient_first_call_minus_run_s": gradient_compile,
            "system_compile_s": info["system_compile_s"],
        },
        "ratios": ratios,
        "ratios_cpu": ratios_cpu,
        "goals": GOALS,
        "goals_met": {k: ratios[k] <= g for k, g in GOALS.items()},
        "soma_max_abs_dv_mV": float(np.max(np.abs(v_neuron - v_dendrax))),
        "spikes_neuron_ms": dx.spike_times(np.arange(v_neuron.size) * DT_MS, v_neuron).tolist(),
        "spikes_dendrax_ms": dx.spike_times(np.arange(v_dendrax.size) * DT_MS, v_dendrax).tolist(),
    }
    results["provenance"] = _provenance.finish(prov, t_start)
    args.out.write_text(json.dumps(results, indent=1))
    print(
        f"NEURON {neuron_s:.2f} s, dendrax forward {best['forward']:.2f} s "
        f"({ratios['forward_over_neuron']:.2f}x NEURON, goal <= 0.5), gradient "
        f"{best['gradient']:.2f} s ({ratios['gradient_over_forward']:.2f}x forward, goal <= 5), "
        f"compile {forward_compile:.1f} s (trace+lower {trace_lower_s:.1f}, XLA {xla_s:.1f}; "
        f"goal < 3), gradient compile {gradient_compile:.1f} s; process CPU: forward/NEURON "
        f"{ratios_cpu['forward_over_neuron']:.2f}, gradient/forward "
        f"{ratios_cpu['gradient_over_forward']:.2f}, compile {ratios_cpu['compile_s']:.1f} s; "
        f"max|dV| soma "
        f"{results['soma_max_abs_dv_mV']:.2g} mV; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
