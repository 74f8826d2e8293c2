"""The ``dendrax`` command line: ``dendrax demo``, ``dendrax simulate``, ``dendrax fit``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _fail(message: str) -> int:
    print(f"dendrax: error: {message}", file=sys.stderr)
    return 2


def _simulate(args: argparse.Namespace) -> int:
    import jax
    import jax.numpy as jnp
    import numpy as np

    import dendrax as dx
    from dendrax.io._model_json import ModelFileError, load_model
    from dendrax.io._recordings import save_npz, traces_to_arrays

    if args.repeat < 0:
        return _fail(f"--repeat {args.repeat}: give a number of extra runs >= 0.")
    try:
        cell, options = load_model(args.model)
        t0 = time.perf_counter()
        dtype = jnp.float32 if args.float32 else jnp.float64
        system = dx.compile(cell, dtype=dtype, **options)
    except (ModelFileError, ValueError, TypeError) as e:
        return _fail(f"{args.model}: {e}")
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = jax.jit(dx.simulate).lower(system).compile()
    compile_s = time.perf_counter() - t0
    result = jax.block_until_ready(run(system))
    extra = {"build_s": build_s, "compile_s": compile_s}
    if args.repeat:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            jax.block_until_ready(run(system))
            times.append(time.perf_counter() - t0)
        extra["run_s"] = float(np.median(times))
    is_voltage = np.asarray(system.records.is_voltage)
    voltage_keys = {k for k, v in zip(system.records.keys, is_voltage) if v}
    arrays = traces_to_arrays(np.asarray(result.t), result.traces, voltage_keys, extra)
    try:
        dx.check_finite({k: arrays[k] for k in result.keys()}, arrays["t"])
        diverged = ""
    except dx.SimulationDiverged as e:
        diverged = str(e)
    meta = {
        "dendrax": dx.__version__,
        "model": str(args.model),
        "dtype": "float32" if args.float32 else "float64",
        "n_compartments": system.n_comp,
        "n_steps": system.n_steps,
    }
    save_npz(args.output, arrays, meta)
    print(f"wrote {args.output}: t + {len(result.keys())} recording(s), {system.n_steps} steps")
    print(f"  compile {compile_s:.3f} s" + (f", run {extra['run_s']:.4f} s" if args.repeat else ""))
    if diverged:
        return _fail(diverged)
    return 0


def _fit(args: argparse.Namespace) -> int:
    from dendrax._fit_command import run_fit

    return run_fit(
        Path(args.model),
        Path(args.target),
        Path(args.config),
        Path(args.output),
        history_path=Path(args.history) if args.history else None,
        plot_path=Path(args.plot) if args.plot else None,
        float32=args.float32,
        progress=not args.quiet,
    )


def _demo(args: argparse.Namespace) -> int:
    from dendrax._demo import run_demo

    return run_demo(Path(args.output_dir))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dendrax",
        description="Differentiable simulation of detailed biophysical neuron models (on JAX).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="simulate a bundled reconstructed cell; write a voltage plot (PNG) and traces (npz)",
    )
    demo.add_argument(
        "--output-dir", default=".", help="where to write the files (default: current directory)"
    )
    demo.set_defaults(func=_demo)

    sim = sub.add_parser(
        "simulate",
        help="run a JSON model file and write the recordings to an npz file",
        description="Run MODEL.json (dendrax model format v1, see docs/model_format.md) and write "
        "t (ms), one array per recording key and spikes__<key> (ms) for voltage recordings.",
    )
    sim.add_argument("model", help="model file (JSON)")
    sim.add_argument("-o", "--output", required=True, help="output npz file")
    sim.add_argument(
        "--repeat",
        type=int,
        default=0,
        metavar="N",
        help="run the compiled simulation N more times and store compile_s and run_s (median "
        "seconds per simulation) in the npz",
    )
    sim.add_argument("--float32", action="store_true", help="simulate in float32")
    sim.set_defaults(func=_simulate)

    fit = sub.add_parser(
        "fit",
        help="fit trainable parameters of a JSON model to recorded traces (npz)",
        description="Fit the parameters listed in FIT.json (format: docs/fit_format.md) so that "
        "MODEL.json's recordings match TARGET.npz (as written by `dendrax simulate`); write the "
        "fitted model (same format as MODEL.json), the loss history (JSON) and a plot (PNG).",
    )
    fit.add_argument("model", help="model file (JSON)")
    fit.add_argument("--target", required=True, help="target recordings (npz, `t` in ms)")
    fit.add_argument("--config", required=True, help="fit configuration (JSON)")
    fit.add_argument("-o", "--output", required=True, help="fitted model file to write (JSON)")
    fit.add_argument("--history", help="loss history file (default: OUTPUT with .history.json)")
    fit.add_argument("--plot", help="plot of target vs fitted traces (default: OUTPUT with .png)")
    fit.add_argument("--float32", action="store_true", help="simulate and fit in float32")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(func=_fit)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
