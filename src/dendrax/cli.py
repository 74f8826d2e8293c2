"""The ``dendrax`` command line: ``demo``, ``simulate``, ``fit``, ``docs``, ``mod-check`` and
``--version``."""

from __future__ import annotations

import argparse
import importlib.resources
import sys
import time
from pathlib import Path

# The documents ``dendrax docs`` shows. In an installed package they are ``dendrax/docs/*.md``
# (copied from the repository's docs/ at build time by setup.py, their one source); in a
# source checkout (editable install) they are read from docs/ directly.
DOC_NAMES = (
    "model_format",
    "network_format",
    "fit_format",
    "fitting",
    "channels",
    "gradients",
    "fitting_example",
    "performance",
    "ions",
    "channel_library",
    "distributions",
    "units",
    "nmodl",
    "networks",
    "synapses",
    "gap_junctions",
    "hay_l5pc",
)


def docs_dir() -> Path | None:
    """The folder holding the documentation files, or None if it cannot be found."""
    installed = Path(str(importlib.resources.files("dendrax"))) / "docs"
    checkout = Path(__file__).resolve().parents[2] / "docs"
    for folder in (installed, checkout):
        if (folder / "model_format.md").is_file():
            return folder
    return None


def _version() -> str:
    from dendrax import __version__

    return __version__


def _fail(message: str) -> int:
    print(f"dendrax: error: {message}", file=sys.stderr)
    return 2


def _run_timed(system, repeat: int, build_s: float):
    """Compile and run ``system`` once (plus ``repeat`` timed runs); the result and the
    timings ``build_s``, ``compile_s`` and (with repeats) the median ``run_s`` (s)."""
    import jax
    import numpy as np

    import dendrax as dx

    t0 = time.perf_counter()
    run = jax.jit(dx.simulate).lower(system).compile()
    compile_s = time.perf_counter() - t0
    result = jax.block_until_ready(run(system))
    extra: dict = {"build_s": build_s, "compile_s": compile_s}
    if repeat:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            jax.block_until_ready(run(system))
            times.append(time.perf_counter() - t0)
        extra["run_s"] = float(np.median(times))
    return result, extra


def _simulate(args: argparse.Namespace) -> int:
    import jax.numpy as jnp
    import numpy as np

    import dendrax as dx
    from dendrax.io._model_json import ModelFileError, load_model
    from dendrax.io._recordings import save_npz, traces_to_arrays

    if args.repeat < 0:
        return _fail(f"--repeat {args.repeat}: give a number of extra runs >= 0.")
    network = _network_data(args.model)
    if network is not None:
        return _simulate_network(args, network)
    try:
        cell, options = load_model(args.model)
        t0 = time.perf_counter()
        dtype = jnp.float32 if args.float32 else jnp.float64
        system = dx.compile(cell, dtype=dtype, **options)
    except (ModelFileError, ValueError, TypeError) as e:
        return _fail(f"{args.model}: {e}")
    result, extra = _run_timed(system, args.repeat, time.perf_counter() - t0)
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
    print(
        f"  compile {extra['compile_s']:.3f} s"
        + (f", run {extra['run_s']:.4f} s" if args.repeat else "")
    )
    if diverged:
        return _fail(diverged)
    return 0


def _network_data(path: str) -> dict | None:
    """The parsed file if it is a network file (``"format": "neuroref-network/1"``), else None
    (also when it cannot be read: the model reader then reports why)."""
    import json

    from dendrax.io._network_json import is_network_file

    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if is_network_file(data) else None


def _simulate_network(args: argparse.Namespace, data: dict) -> int:
    """``dendrax simulate NET.json``: the reference keys of ``neuroref-network/1`` (t, the
    recordings, spikes__<key>, netcon_spikes__cell<k>, netcon_spikes__source<j>, meta_json)."""
    import warnings

    import jax.numpy as jnp
    import numpy as np

    import dendrax as dx
    from dendrax.io._model_json import ModelFileError
    from dendrax.io._network_json import network_from_dict
    from dendrax.io._recordings import save_npz, traces_to_arrays
    from dendrax.model._sources import NetStim, SpikeInput

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net, options = network_from_dict(data, base_dir=Path(args.model).parent)
        for w in caught:  # e.g. an Exp2Syn with tau1 >= tau2
            print(f"dendrax: warning: {args.model}: {w.message}", file=sys.stderr)
        inputs = [s.name for s in net.sources if isinstance(s, SpikeInput)]
        if inputs:
            return _fail(
                f"{args.model}: the source(s) {sorted(set(inputs))} are spike_input sources, "
                "whose times are given per call in Python (dx.simulate(system, inputs={name: "
                "times})); give their times in the file as {'type': 'spike_times', 't_ms': "
                "[...]} to run it here."
            )
        t0 = time.perf_counter()
        dtype = jnp.float32 if args.float32 else jnp.float64
        system = dx.compile(net, dtype=dtype, **options)
    except (ModelFileError, ValueError, TypeError) as e:
        return _fail(f"{args.model}: {e}")
    result, extra = _run_timed(system, args.repeat, time.perf_counter() - t0)
    # the time grid t_n = n dt in float64 (in float32 mode result.t is that grid, rounded)
    dt, t_stop = options["dt_ms"], options["t_stop_ms"]
    t = np.arange(system.n_steps + 1) * dt
    is_voltage = np.asarray(system.records.is_voltage)
    voltage_keys = {k for k, v in zip(system.records.keys, is_voltage) if v}
    arrays = traces_to_arrays(t, result.traces, voltage_keys)
    if result.spike_cells is not None:
        for k in np.asarray(result.spike_cells).tolist():
            steps = np.rint(np.asarray(result.spike_times(k), np.float64) / dt).astype(int)
            arrays[f"netcon_spikes__cell{k}"] = t[steps]  # grid times t_n (NEURON: t_n + 1e-10)
    for j, source in enumerate(net.sources):
        if isinstance(source, NetStim):
            arrays[f"netcon_spikes__source{j}"] = source.event_times(t_stop)
    arrays.update({k: np.asarray(v) for k, v in extra.items()})
    try:
        dx.check_finite({k: arrays[k] for k in result.keys()}, arrays["t"])
        diverged = ""
    except dx.SimulationDiverged as e:
        diverged = str(e)
    meta = {
        "dendrax": dx.__version__,
        "model": str(args.model),
        "format": data.get("format"),
        "name": data.get("name"),
        "dtype": "float32" if args.float32 else "float64",
        "dt_ms": dt,
        "tstop_ms": t_stop,
        "method": type(options["method"]).__name__,
        "celsius": options["celsius"],
        "v_init_mV": options["v_init_mV"],
        "n_cells": net.n_cells,
        "n_compartments": system.n_comp,
        "n_synapses": net.n_synapses,
        "n_connections": net.n_connections,
        "n_steps": system.n_steps,
    }
    save_npz(args.output, arrays, meta)
    n_det = 0 if result.spike_cells is None else int(np.asarray(result.spike_cells).size)
    n_spikes = 0 if result.spikes is None else int(np.asarray(result.spikes).sum())
    print(
        f"wrote {args.output}: t + {len(result.keys())} recording(s), {n_spikes} spike(s) of "
        f"{n_det} detector(s), {net.n_cells} cell(s), {system.n_steps} steps"
    )
    print(
        f"  compile {extra['compile_s']:.3f} s"
        + (f", run {extra['run_s']:.4f} s" if args.repeat else "")
    )
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


def _docs(args: argparse.Namespace) -> int:
    folder = docs_dir()
    if folder is None:
        return _fail(
            "the documentation files are missing from this installation; reinstall dendrax "
            "(pip install dendrax) or read docs/ in the source repository."
        )
    if args.name is None:
        print(f"dendrax documentation in {folder}:")
        for name in DOC_NAMES:
            if (folder / f"{name}.md").is_file():
                print(f"  {name:16s} {folder / (name + '.md')}")
        print("Show one with `dendrax docs NAME` (its path only: `dendrax docs NAME --path`).")
        return 0
    name = args.name.removesuffix(".md")
    path = folder / f"{name}.md"
    if name not in DOC_NAMES or not path.is_file():
        return _fail(f"no document {args.name!r}; choose one of: {', '.join(DOC_NAMES)}.")
    if args.path:
        print(path)
    else:
        sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def _mod_check(args: argparse.Namespace) -> int:
    """``dendrax mod-check FILE.mod...``: import each file with ``dx.load_mod`` and print one
    line per file, ``FILE: imported (...)`` or ``FILE: not imported: <file>:<line>:
    <construct>: <problem and what to do>``; exit status 1 if any file does not import."""
    from dendrax.io.nmodl import NmodlError, load_mod

    failed = 0
    for name in args.files:
        try:
            cls = load_mod(Path(name))
        except NmodlError as e:
            failed += 1
            print(f"{name}: not imported: {e}")
            continue
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as e:
            failed += 1
            what = getattr(e, "filename", None) or name
            print(f"{name}: not imported: {what}: cannot be read ({type(e).__name__}: {e}).")
            continue
        except Exception as e:  # an importer bug must not hide the other files' results
            failed += 1
            print(
                f"{name}: not imported: {name}: internal error of the importer "
                f"({type(e).__name__}: {e}); please report it with the file."
            )
            continue
        print(f"{name}: imported: {_mod_summary(cls)}")
    if len(args.files) > 1:
        print(f"{len(args.files) - failed} of {len(args.files)} file(s) imported")
    return 1 if failed else 0


def _mod_summary(cls) -> str:
    """``SUFFIX name; states m, h; ...`` of an imported mechanism class (``POINT_PROCESS
    name; ...`` for a point process)."""
    from dendrax.mechanisms import PointMechanism

    kind = "POINT_PROCESS" if issubclass(cls, PointMechanism) else "SUFFIX"
    parts = [f"{kind} {cls.name}"]
    globals_ = tuple(getattr(cls, "global_parameters", ()) or ())
    for label, names in (
        ("parameters", tuple(p for p in cls.parameters if p not in globals_)),
        ("GLOBALs", globals_),
        ("states", tuple(cls.states)),
        ("ions read", tuple(getattr(cls, "ion_reads", ()) or ())),
        ("ions written", tuple(getattr(cls, "ion_writes", ()) or ())),
    ):
        if names:
            parts.append(f"{label} {', '.join(names)}")
    return "; ".join(parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dendrax",
        description="Differentiable simulation of detailed biophysical neuron models (on JAX).",
        epilog="Documentation: `dendrax docs` lists the documents (model and fit file formats, "
        "...) and where they are installed.",
    )
    parser.add_argument(
        "--version", action="version", version=f"dendrax {_version()}", help="print the version"
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
        description="Run MODEL.json (dendrax model format v1, documented in `dendrax docs "
        "model_format`) and write t (ms), one array per recording key and spikes__<key> (ms) "
        'for voltage recordings. A network file ("format": "neuroref-network/1", `dendrax '
        "docs network_format`) also gets netcon_spikes__cell<k> (detector spike times, ms) and "
        "netcon_spikes__source<j> (NetStim event times, ms).",
    )
    sim.add_argument("model", help="model or network file (JSON)")
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
        help="fit trainable parameters of a JSON model to recorded traces (npz or NWB)",
        description="Fit the parameters listed in FIT.json (format: `dendrax docs fit_format`) "
        "so that MODEL.json's recordings match TARGET.npz (as written by `dendrax simulate`) or "
        "the current-clamp series of TARGET.nwb (whose stimuli then drive the model); write the "
        "fitted model (same format as MODEL.json), the loss history (JSON) and a plot (PNG). "
        "Without loss and optimizer in FIT.json the robust default is used (trace MSE plus "
        "windowed features, log-scaled conductance bounds, Adam then L-BFGS: `dendrax docs "
        "fitting`).",
    )
    fit.add_argument("model", help="model file (JSON)")
    fit.add_argument(
        "--target",
        required=True,
        help="target recordings: npz (`t` in ms, one array per key) or NWB (.nwb, needs pynwb)",
    )
    fit.add_argument("--config", required=True, help="fit configuration (JSON)")
    fit.add_argument("-o", "--output", required=True, help="fitted model file to write (JSON)")
    fit.add_argument("--history", help="loss history file (default: OUTPUT with .history.json)")
    fit.add_argument("--plot", help="plot of target vs fitted traces (default: OUTPUT with .png)")
    fit.add_argument("--float32", action="store_true", help="simulate and fit in float32")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(func=_fit)

    docs = sub.add_parser(
        "docs",
        help="list the documentation (file formats, channels, gradients) or show one document",
        description="Without NAME: list the documents and their installed paths. With NAME "
        "(e.g. model_format, fit_format): print that document (Markdown).",
    )
    docs.add_argument("name", nargs="?", help="document to show, e.g. model_format")
    docs.add_argument("--path", action="store_true", help="print only the file's path")
    docs.set_defaults(func=_docs)

    mod_check = sub.add_parser(
        "mod-check",
        help="check whether NEURON .mod files import (dx.load_mod), and why not",
        description="Import each NMODL file as dx.load_mod does and print, per file, "
        "'imported' with its SUFFIX, parameters and states, or 'not imported' with the file, "
        "line, construct and what to do (docs/nmodl.md lists what is supported). The exit "
        "status is 1 if any file does not import, else 0.",
    )
    mod_check.add_argument("files", nargs="+", metavar="FILE.mod", help="NMODL file(s)")
    mod_check.set_defaults(func=_mod_check)
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
