"""``dendrax fit MODEL.json --target TARGET.npz --config FIT.json -o FITTED.json``.

Fits the trainable parameters of FIT.json (docs/fit_format.md) so that the model's recordings
match TARGET.npz (the layout ``dendrax simulate`` writes) or TARGET.nwb (current-clamp series of
an NWB file, whose stimuli then drive the model), then writes the fitted model (same format as
MODEL.json), the loss history (JSON) and a plot of target vs fitted traces (PNG). The default
loss, optimiser and steps are described, with the measurements behind them, in
docs/fitting.md.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np


def _fail(message: str) -> int:
    print(f"dendrax fit: error: {message}", file=sys.stderr)
    return 2


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _with_stimuli(model: dict, stimuli, model_from_dict, base_dir: Path | None = None):
    """The model's cell with its stimuli replaced by sampled currents at recording sites:
    ``stimuli`` holds ``(recording key, t_ms, i_nA)`` (an NWB target's); ``base_dir``: the
    model file's folder (its ``mod_files`` are relative to it; default the current directory)."""
    sites = {r["key"]: r for r in model.get("recordings", [])}
    entries = []
    for key, t, i in stimuli:
        site = sites[key]
        entries.append({"type": "waveform", "branch": site["branch"], "x": site["x"],
                        "t_ms": [float(v) for v in t], "i_nA": [float(v) for v in i]})  # fmt: skip
    cell, _ = model_from_dict({**model, "stimuli": entries}, base_dir=base_dir)
    return cell


def _values(params) -> dict:
    return {k: np.asarray(v, dtype=np.float64).reshape(-1).tolist() for k, v in params.items()}


def run_fit(
    model_path: Path,
    target_path: Path,
    config_path: Path,
    output: Path,
    *,
    history_path: Path | None = None,
    plot_path: Path | None = None,
    float32: bool = False,
    progress: bool = True,
) -> int:
    import jax
    import jax.numpy as jnp

    import dendrax as dx
    from dendrax.io._fit_config import (
        FitConfigError,
        NWBTarget,
        is_nwb,
        load_fit_config,
        load_nwb_target,
        load_target,
        read_target_series,
        trace_loss,
    )
    from dendrax.io._fitted_model import write_fitted_model
    from dendrax.io._model_json import ModelFileError, load_model, model_from_dict

    history_path = history_path or output.with_suffix(".history.json")
    plot_path = plot_path or output.with_suffix(".png")
    try:
        with open(model_path) as f:
            model = json.load(f)
        cell, options = load_model(model_path)
    except (ModelFileError, ValueError, TypeError, OSError) as e:
        return _fail(f"{model_path}: {e}")
    dt = float(options["dt_ms"])
    t_ms = np.arange(round(float(options["t_stop_ms"]) / dt) + 1) * dt
    nwb: NWBTarget | None = None
    try:
        if is_nwb(target_path):
            voltage = [r.key for r in cell.recordings if r.variable == "v"]
            nwb = load_nwb_target(target_path, t_ms, voltage, read_target_series(config_path))
            target = nwb.traces
            if nwb.stimuli:
                cell = _with_stimuli(model, nwb.stimuli, model_from_dict, Path(model_path).parent)
        else:
            target = load_target(target_path, t_ms)
    except FitConfigError as e:
        return _fail(str(e))
    except (ModelFileError, ValueError) as e:
        return _fail(f"{target_path}: its stimulus cannot drive {model_path}: {e}")
    try:
        system = dx.compile(cell, dtype=jnp.float32 if float32 else jnp.float64, **options)
    except (ValueError, TypeError) as e:
        return _fail(f"{model_path}: {e}")
    t_ms = np.arange(system.n_steps + 1) * float(options["dt_ms"])
    try:
        keys = [k for k in system.records.keys if k in target]
        config = load_fit_config(config_path, cell, keys)
    except FitConfigError as e:
        return _fail(str(e))
    try:
        pm = dx.ParameterMap(system, config.trainables)
    except (ValueError, TypeError) as e:
        return _fail(f"{config_path}: parameters: {e}")
    loss_of_traces = trace_loss(config.loss, target, t_ms)

    def traces(params):
        s = pm.apply(system, params)
        return dx.simulate(s, checkpoint_levels=config.checkpoint_levels).traces

    def loss(params):
        return loss_of_traces(traces(params))

    if nwb is not None and progress:
        used = ", ".join(nwb.series[k] for k, *_ in nwb.stimuli)
        print(
            f"target {target_path}: {nwb.series}; "
            + (f"stimuli of {used} replace the model file's" if used else
               "no stimulus series: the model file's stimuli drive the model")
        )  # fmt: skip
    initial_params = pm.init()
    try:
        result = dx.fit(
            loss,
            initial_params,
            list(config.phases),
            parameter_map=pm,
            patience=config.patience,
            min_delta=config.min_delta,
            progress=progress,
            n_starts=config.n_starts,
            seed=config.seed,
            stop_loss=config.stop_loss,
        )
    except dx.SimulationDiverged as e:
        return _fail(str(e))
    run = jax.jit(traces)
    initial = {k: np.asarray(v) for k, v in run(initial_params).items()}
    fitted = {k: np.asarray(v) for k, v in run(result.params).items()}
    try:
        dx.check_finite(fitted, t_ms, what="the fitted model's simulation")
    except dx.SimulationDiverged as e:
        return _fail(str(e))
    write_fitted_model(output, model, cell, system, pm, result.params)
    history = {
        "loss": result.history.tolist(),
        "best_step": result.best_step,
        "best_loss": result.best_loss,
        "steps_run": int(result.history.size),
        "stopped_early": result.stopped_early,
        "seconds": result.seconds,
        "evaluations": result.evaluations,
        "phase": [result.phase_names[j] for j in result.phase],
        "optimizer": config.optimizer_spec,
        "default_optimizer": config.default_optimizer,
        "loss_terms": [dataclasses.asdict(term) for term in config.loss],
        "default_loss": config.default_loss,
        "n_starts": config.n_starts,
        "seed": config.seed,
        "start": result.start,
        "start_losses": [_finite_or_none(x) for x in result.start_losses],
        "parameters": {
            e.name: {
                "groups": list(e.group_names),
                "initial": _values(initial_params)[e.name],
                "fitted": _values(result.params)[e.name],
            }
            for e in pm.entries
        },
        "model": str(model_path),
        "target": str(target_path),
        "target_series": None if nwb is None else nwb.series,
        "config": str(config_path),
        "dtype": "float32" if float32 else "float64",
    }
    with open(history_path, "w") as f:
        json.dump(history, f, indent=1)
    from dendrax.viz._fit import plot_fit

    title = f"dendrax fit: loss {result.start_histories[0][0]:.4g} -> {result.best_loss:.4g}"
    keys = list(dict.fromkeys(term.key for term in config.loss))
    plot_fit(t_ms, target, fitted, plot_path, initial=initial, history=result.history,
             keys=keys, title=title)  # fmt: skip
    starts = "" if config.n_starts == 1 else f", best of {config.n_starts} starts: {result.start}"
    print(
        f"fitted {len(pm.entries)} parameter(s) in {result.history.size} steps "
        f"({result.seconds:.1f} s{starts}): loss {result.history[0]:.6g} -> "
        f"{result.best_loss:.6g} (step {result.best_step})"
    )
    for name, values in _values(result.params).items():
        print(f"  {name} = {', '.join(f'{v:.6g}' for v in values)}")
    print(f"wrote {output}, {history_path}, {plot_path}")
    return 0
