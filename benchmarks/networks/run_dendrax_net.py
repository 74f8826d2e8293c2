"""Run one ``neuroref-network/1`` network in dendrax; print one JSON line (build, compile,
steady-state run, spikes, memory).

``python benchmarks/networks/run_dendrax_net.py net.json [--build json|api] [--repeats N]
[--spikes out.npz] [--compile-only]``

- ``--build json``: ``dx.load_network(path)`` (the file reader; one cell block per file cell);
  ``--build api``: the same network through the Python API (``netmodels.network_api``: one
  ``add_cells`` per template block, ``place`` per synapse site, ``connect`` with an
  ``EdgeList``). ``build_s`` is the file/description to ``dx.Network``; ``compile_system_s``
  is ``dx.compile`` (lowering to a System).
- Run: ``jax.jit(dx.simulate)``, float64, backward Euler, on the default JAX device; the
  first call (``first_call_s``) includes tracing and XLA; ``run_s`` is the median of
  ``--repeats`` further calls. Then, from empty caches, tracing/lowering (``trace_s``) and XLA
  compilation (``xla_compile_s``) apart.
- Spikes: per detector (cell) count and times from ``Result.spikes`` (the step whose start
  sample crossed the threshold), written to ``--spikes`` for the comparison with NEURON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401  (sets sys.path for benchmarks/_common.py)
import _provenance as P  # noqa: E402
import numpy as np  # noqa: E402


def spike_table(res) -> tuple[np.ndarray, list[np.ndarray]]:
    """(cell of each detector, spike times per detector)."""
    spikes = np.asarray(res.spikes)
    cells = np.asarray(res.spike_cells)
    t = np.asarray(res.t)[: spikes.shape[0]]
    return cells, [t[spikes[:, k] > 0.5] for k in range(spikes.shape[1])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--build", choices=("json", "api"), default="json")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--spikes", help="write per-cell spike times to this npz")
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--tstop-ms", type=float, help="override the file's tstop (ms)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import jax

    import dendrax as dx

    import_s = time.perf_counter() - t0
    rss_after_import = C.rss_mib()
    data = json.loads(Path(args.model).read_text())
    if args.tstop_ms:
        data["tstop_ms"] = args.tstop_ms
    t_b = time.perf_counter()
    if args.build == "json":
        if args.tstop_ms:
            from dendrax.io._network_json import network_from_dict

            net, opts = network_from_dict(data)
        else:
            net, opts = dx.load_network(args.model)
    else:
        import netmodels

        net, opts = netmodels.network_api(data)
    t_n = time.perf_counter()
    system = dx.compile(net, **opts)
    jax.block_until_ready(system)
    t_s = time.perf_counter()
    n_steps = int(round(opts["t_stop_ms"] / opts["dt_ms"]))
    result = {
        "simulator": "dendrax",
        "version": getattr(dx, "__version__", None),
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "build": args.build,
        "model": data.get("name"),
        "n_cells": int(net.n_cells),
        "n_compartments": int(system.n_comp),
        "n_synapses": int(net.n_synapses),
        "n_connections": int(net.n_connections),
        "n_steps": n_steps,
        "import_s": import_s,
        "rss_after_import_mib": rss_after_import,
        "build_s": t_n - t_b,
        "compile_system_s": t_s - t_n,
        "rss_after_compile_system_mib": C.rss_mib(),
    }
    run = jax.jit(dx.simulate)
    if args.compile_only:
        t0 = time.perf_counter()
        lowered = run.lower(system)
        t1 = time.perf_counter()
        lowered.compile()
        result.update(trace_s=t1 - t0, xla_compile_s=time.perf_counter() - t1)
        result["dendrax_origin"] = P.module_origin(dx)
        C.report(result)
        return
    t0 = time.perf_counter()
    res = jax.block_until_ready(run(system))
    result["first_call_s"] = time.perf_counter() - t0

    def once():
        jax.block_until_ready(run(system))

    with C.PeakMemory() as mem:
        times = C.time_repeats(once, args.repeats)
    result.update(run_peak_mib=mem.peak_mib, run_extra_mib=mem.extra_mib)
    med = statistics.median(times)
    result["us_per_step"] = med / n_steps * 1e6
    result["ns_per_comp_step"] = med / (n_steps * result["n_compartments"]) * 1e9
    cells, times_per = spike_table(res)
    counts = np.asarray([t.size for t in times_per])
    result["spikes_total"] = int(counts.sum())
    if args.spikes:
        np.savez(
            args.spikes,
            cells=cells,
            counts=counts,
            **{f"cell{int(c)}": t for c, t in zip(cells, times_per)},
        )

    jax.clear_caches()
    t0 = time.perf_counter()
    lowered = jax.jit(dx.simulate).lower(system)
    t1 = time.perf_counter()
    lowered.compile()
    result.update(trace_s=t1 - t0, xla_compile_s=time.perf_counter() - t1)
    result["dendrax_origin"] = P.module_origin(dx)
    C.report(result, None, times)


if __name__ == "__main__":
    main()
