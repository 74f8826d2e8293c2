"""Run one JSON model in dendrax and report JSON (build, compile, steady-state run, memory).

``python benchmarks/run_dendrax.py model.json [--repeats N] [--traces out.npz]``
``python benchmarks/run_dendrax.py model.json --compile-only --tstop-ms 1000``: trace and XLA
compile times only (to check that compile time does not grow with the number of steps).
``python benchmarks/run_dendrax.py --swc cell.swc [--ncomp K]``: time building a Cell from SWC
(``dx.read_swc`` + ``to_geometry(NComp(K))`` + ``dx.Cell``; default NEURON Import3d convention).

Timed with ``jax.jit(dx.simulate)`` in float64 on the default JAX device. ``first_trace_s`` is
what a new user waits after ``import dendrax``: read the model + compile + first jitted run.

The dendrax that runs is whichever ``import dendrax`` finds: ``PYTHONPATH=<tree>/src`` selects
another checkout (``compare_commits.py`` runs this script against two commits). The output
records its file and git state (``dendrax_origin``). Only API that every commit of dendrax
has is used (``compile``, ``simulate``, ``Result.keys``, the JSON model reader), with
fallbacks where names moved.
"""

from __future__ import annotations

import time

import _common as C
import _provenance as P
import numpy as np


def model_reader(dx):
    """The JSON model reader ``dict -> (Cell, compile options)`` of this dendrax."""
    for where in ("dendrax.io", "dendrax.io._model_json"):
        try:
            mod = __import__(where, fromlist=["model_from_dict"])
            return mod.model_from_dict
        except (ImportError, AttributeError):
            continue
    raise RuntimeError(f"no JSON model reader (model_from_dict) in dendrax at {dx.__file__}")


def recordings(res) -> dict:
    """Every recorded trace of a Result, by key."""
    keys = res.keys() if hasattr(res, "keys") else res.recordings.keys()
    return {k: np.asarray(res[k]) for k in keys}


def swc_build(dx, args) -> dict:
    """Time building a dendrax Cell from an SWC file (read, discretise), then HH + compile."""
    policy = dx.NComp(args.ncomp) if args.ncomp else dx.DLambda()
    name = {"import3d": "NeuronImport3d", "reference": "ReferenceConversion"}[args.convention]
    convention = getattr(dx, name)()
    t0 = time.perf_counter()
    morph = dx.read_swc(args.swc)
    t1 = time.perf_counter()
    cell = dx.Cell(morph.to_geometry(policy, convention=convention))
    t2 = time.perf_counter()
    cell.insert(dx.HH())
    system = dx.compile(cell)
    t3 = time.perf_counter()
    return {
        "simulator": "dendrax",
        "swc": args.swc,
        "policy": repr(policy),
        "convention": type(convention).__name__,
        "read_s": t1 - t0,
        "discretise_s": t2 - t1,
        "build_s": t2 - t0,
        "insert_hh_and_compile_system_s": t3 - t2,
        "n_compartments": int(system.n_comp),
        "n_branches": int(cell.geometry.n_branches),
    }


def main() -> None:
    ap = C.parser(__doc__.splitlines()[0])
    ap.add_argument("--tree-solver", choices=("default", "sequential", "levels"), default="default")
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--tstop-ms", type=float, help="override the model's tstop (ms)")
    ap.add_argument("--convention", choices=("import3d", "reference"), default="import3d")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import jax

    import dendrax as dx

    import_s = time.perf_counter() - t0
    model_from_dict = model_reader(dx)
    rss_after_import = C.rss_mib()
    if args.swc:
        result = swc_build(dx, args)
        result["import_s"] = import_s
        result["dendrax_origin"] = P.module_origin(dx)
        C.report(result)
        return
    model = C.load_json(args.model)
    if args.tstop_ms:
        model["tstop_ms"] = args.tstop_ms
    solver = {"default": None, "sequential": "HinesSequential", "levels": "HinesLevels"}[
        args.tree_solver
    ]
    if solver is not None:
        solver = getattr(dx, solver)

    t_build = time.perf_counter()
    cell, opts = model_from_dict(model)
    t_cell = time.perf_counter()
    if solver is not None:
        opts["tree_solver"] = solver()
    system = dx.compile(cell, **opts)
    jax.block_until_ready(system)
    t_sys = time.perf_counter()
    result = {
        "simulator": "dendrax",
        "version": getattr(dx, "__version__", None),
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "tree_solver": type(getattr(system, "tree_solver", None)).__name__,
        "import_s": import_s,
        "rss_after_import_mib": rss_after_import,
        "cell_from_json_s": t_cell - t_build,
        "compile_system_s": t_sys - t_cell,
        "build_s": t_sys - t_build,
    }
    run = jax.jit(dx.simulate)
    if args.compile_only:
        t0 = time.perf_counter()
        lowered = run.lower(system)
        t1 = time.perf_counter()
        lowered.compile()
        result.update(trace_s=t1 - t0, xla_compile_s=time.perf_counter() - t1)
        result["dendrax_origin"] = P.module_origin(dx)
        C.report(result, model)
        return

    t0 = time.perf_counter()
    res = jax.block_until_ready(run(system))
    t1 = time.perf_counter()
    result["first_call_s"] = t1 - t0
    result["first_trace_s"] = t1 - t_build  # model -> cell -> System -> compiled -> traces

    def once():
        jax.block_until_ready(run(system))

    with C.PeakMemory() as mem:
        times = C.time_repeats(once, args.repeats)
    result.update(
        rss_before_run_mib=mem.before_mib, run_peak_mib=mem.peak_mib, run_extra_mib=mem.extra_mib
    )
    C.save_traces(args.traces, np.asarray(res.t), recordings(res))

    # The same compilation again from empty caches, split into tracing/lowering and XLA.
    jax.clear_caches()
    t0 = time.perf_counter()
    lowered = jax.jit(dx.simulate).lower(system)
    t1 = time.perf_counter()
    lowered.compile()
    result.update(trace_s=t1 - t0, xla_compile_s=time.perf_counter() - t1)
    result["dendrax_origin"] = P.module_origin(dx)
    C.report(result, model, times)


if __name__ == "__main__":
    main()
