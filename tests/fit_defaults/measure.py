#!/usr/bin/env python
"""Measure ``dendrax fit`` configurations on the NEURON recording of the granule cell
(tests/fit_defaults/grc_neuron.npz): the numbers of docs/fitting.md.

    python tests/fit_defaults/measure.py                   # every configuration, 8 starts
    python tests/fit_defaults/measure.py --configs default plain --starts 0 1
    python tests/fit_defaults/measure.py --out results.json
    python tests/fit_defaults/measure.py --scan --starts 0 1 2 3  # the losses on the way

Every run is the command line a user runs, ``dendrax fit START.json --target grc_neuron.npz
--config FIT.json -o FITTED.json``, with START.json the true model (grc_true.json) whose four
hidden conductances (soma hh gnabar, gkbar, gl; dendritic pas g) are replaced by a start 35-100 %
away from the truth, and FIT.json the parameters with their bounds plus the configuration's
loss/optimiser fields. Starts 0-3 are fixed (tests/test_fit_defaults.py's STARTS); starts 4-7
draw every factor as 1 + m (m uniform in [0.35, 1.0]) or 1 - m (m uniform in [0.35, 0.9]) with
equal odds (NumPy default_rng(0)). Reported per run: the largest and the median relative error
of the four conductances, the RMS error of the fitted model's trace against the recording (mV,
simulating FITTED.json), loss evaluations (gradient evaluations, line-search trials included)
and wall time (compilation included; the machine is shared, so times are rough).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from test_fit_defaults import PARAMETERS, RECORDING, STARTS, TRUE, start_model  # noqa: E402

LINEAR = [dict(p, scale="linear") for p in PARAMETERS]
MSE = {"type": "mse", "key": "v_soma"}


def windowed(widths):
    return [MSE] + [
        {"type": kind, "key": "v_soma", "width_ms": widths, "weight": 10.0}
        for kind in ("windowed_mean", "windowed_std")
    ]


CONFIGS = {
    # format 1's defaults: trace MSE, Adam (0.05) for 100 steps, linear bounds
    "plain": {"parameters": LINEAR, "loss": MSE, "optimizer": {"name": "adam",
              "learning_rate": 0.05}, "steps": 100},
    # the new optimiser and bounds, but the plain trace MSE
    "mse_adam_lbfgs": {"parameters": PARAMETERS, "loss": MSE},
    # trace MSE + windowed mean/std in 5 ms windows only
    "features_5ms": {"parameters": PARAMETERS, "loss": windowed([5.0])},
    # the default: nothing but parameters and bounds
    "default": {"parameters": PARAMETERS},
    # the default loss and optimiser with linear bounds
    "default_linear": {"parameters": LINEAR},
    # the default loss and bounds, Adam alone for the same 300 steps
    "default_adam_only": {"parameters": PARAMETERS, "optimizer": {"name": "adam",
                          "learning_rate": 0.1, "schedule": "cosine"}, "steps": 300},
    # the default with 4 starts
    "default_4_starts": {"parameters": PARAMETERS, "n_starts": 4},
}  # fmt: skip


def starts() -> list[dict]:
    rng = np.random.default_rng(0)
    out = list(STARTS)
    for _ in range(4):
        factors = {}
        for k in TRUE:
            if rng.random() < 0.5:
                factors[k] = 1.0 + rng.uniform(0.35, 1.0)
            else:
                factors[k] = 1.0 - rng.uniform(0.35, 0.9)
        out.append(factors)
    return out


def run_one(name: str, factors: dict, workdir: Path) -> dict:
    import dendrax as dx
    from dendrax.cli import main
    from dendrax.io._model_json import load_model

    model = start_model(factors)
    (workdir / "start.json").write_text(json.dumps(model))
    (workdir / "fit.json").write_text(json.dumps(CONFIGS[name]))
    out = workdir / "fitted.json"
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["fit", str(workdir / "start.json"), "--target", str(RECORDING), "--config",
                   str(workdir / "fit.json"), "-o", str(out), "--quiet"])  # fmt: skip
    wall = time.perf_counter() - t0
    if rc != 0:
        return {"config": name, "start": factors, "failed": rc}
    history = json.loads((workdir / "fitted.history.json").read_text())
    err = {k: abs(history["parameters"][k]["fitted"][0] / TRUE[k] - 1) for k in TRUE}
    cell, options = load_model(out)
    v = np.asarray(dx.simulate(dx.compile(cell, **options))["v_soma"])
    rms = float(np.sqrt(np.mean((v - np.load(RECORDING)["v_soma"]) ** 2)))
    return {
        "config": name,
        "start": factors,
        "errors": err,
        "max_error": max(err.values()),
        "median_error": float(np.median(list(err.values()))),
        "rms_mV": rms,
        "initial_loss": history["loss"][0],
        "best_loss": history["best_loss"],
        "steps": history["steps_run"],
        "evaluations": history["evaluations"],
        "wall_s": wall,
    }


def scan(start: int, n: int = 21) -> dict:
    """The losses along the straight line, in the optimiser's (log-bounded) space, from a start
    to the truth: trace MSE and windowed mean+std (weight 1) at 5, 20 and 50 ms. A loss that
    rises somewhere on the way has a local obstacle there."""
    import jax
    import jax.numpy as jnp

    import dendrax as dx
    from dendrax.io._fit_config import LossTerm, fit_config_from_dict, load_target, trace_loss
    from dendrax.io._model_json import model_from_dict

    cell, options = model_from_dict(start_model({k: 1.0 for k in TRUE}))
    system = dx.compile(cell, **options)
    t = np.arange(system.n_steps + 1) * options["dt_ms"]
    target = load_target(RECORDING, t)
    config = fit_config_from_dict({"parameters": PARAMETERS}, cell, ["v_soma"])
    pm = dx.ParameterMap(system, config.trainables)
    losses = {"trace MSE": trace_loss([LossTerm("mse", "v_soma")], target, t)}
    for w in (5.0, 20.0, 50.0):
        terms = [LossTerm(k, "v_soma", width_ms=(w,)) for k in ("windowed_mean", "windowed_std")]
        losses[f"windowed {w:g} ms"] = trace_loss(terms, target, t)

    @jax.jit
    def evaluate(u):
        v = dx.simulate(pm.apply(system, pm.from_unconstrained(u))).traces
        return jnp.stack([f(v) for f in losses.values()])

    truth = pm.to_unconstrained(pm.init())
    u0 = pm.to_unconstrained({k: jnp.array([TRUE[k] * starts()[start][k]]) for k in TRUE})
    rows = np.array([
        np.asarray(evaluate({k: (1 - a) * u0[k] + a * truth[k] for k in TRUE}))
        for a in np.linspace(0.0, 1.0, n)
    ])  # fmt: skip
    return {
        name: {"values": rows[:, j].tolist(), "rises": int(np.sum(np.diff(rows[:, j]) > 0))}
        for j, name in enumerate(losses)
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--starts", nargs="*", type=int, default=list(range(8)))
    parser.add_argument("--out", type=Path, help="write the results (JSON lines) here")
    parser.add_argument("--scan", action="store_true", help="only the line scans (a few s)")
    args = parser.parse_args(argv)
    all_starts = starts()
    if args.scan:
        for s in args.starts:
            for name, row in scan(s).items():
                shown = " ".join(f"{v:8.1f}" for v in row["values"][::4])
                print(f"start {s} {name:16s} rises {row['rises']:2d} of 20 steps: {shown}")
        return 0
    rows = []
    for name in args.configs:
        for s in args.starts:
            with tempfile.TemporaryDirectory() as d:
                row = run_one(name, all_starts[s], Path(d))
            row["start_index"] = s
            rows.append(row)
            if "failed" in row:
                print(f"{name:18s} start {s}: dendrax fit exited {row['failed']}", flush=True)
            else:
                print(
                    f"{name:18s} start {s}: max error {100 * row['max_error']:7.2f} %, median "
                    f"{100 * row['median_error']:7.2f} %, trace RMS {row['rms_mV']:.3g} mV, "
                    f"{row['evaluations']} evaluations, {row['wall_s']:.0f} s",
                    flush=True,
                )
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
