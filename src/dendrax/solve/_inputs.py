"""Per-call inputs of ``simulate``: named current waveforms and event trains, checked and
turned into the per-step drive of the scan."""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from ._step import Drive
from ._system import System

Array = jax.Array


def _per_step(system: System, name: str, value, unit: str) -> Array:
    a = jnp.asarray(value, dtype=system.dt_ms.dtype)
    if a.shape not in ((), (system.n_steps,)):
        raise ValueError(
            f"inputs[{name!r}] has shape {a.shape}; give one value ({unit}) per step, shape "
            f"({system.n_steps},) (the value at each step midpoint, system.step_midpoints_ms()), "
            "or a scalar. For a batch of inputs, jax.vmap the call."
        )
    return jnp.broadcast_to(a, (system.n_steps,))


def drive_per_step(system: System, inputs: Mapping | None) -> Drive:
    """The ``(n_steps, ...)`` drive: fixed stimuli plus every named input of ``inputs``."""
    stim = system.stimuli
    inputs = {} if inputs is None else inputs
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs={type(inputs).__name__}: give a dict {{name: array}} of the model's named "
            f"inputs {list(stim.input_names + stim.event_names)}."
        )
    known = set(stim.input_names) | set(stim.event_names)
    unknown = sorted(set(inputs) - known)
    missing = sorted(known - set(inputs))
    if unknown or missing:
        raise ValueError(
            f"simulate(inputs=...): the model's named inputs are "
            f"{sorted(known) or 'none'}"
            + (f"; unknown: {unknown}" if unknown else "")
            + (f"; missing: {missing} (give every one, e.g. zeros)" if missing else "")
            + ". Declare inputs with cell.stimulate(dx.CurrentInput(name), at=...) or "
            "cell.place(mechanism, at=..., events=name)."
        )
    current = stim.current_nA
    if stim.input_names:
        columns = jnp.stack(
            [_per_step(system, k, inputs[k], "nA") for k in stim.input_names], axis=1
        ).astype(current.dtype)
        current = current.at[:, stim.input_column].add(columns[:, stim.input_index])
    if stim.event_names:
        weights = jnp.stack(
            [_per_step(system, k, inputs[k], "µS") for k in stim.event_names], axis=1
        ).astype(current.dtype)
    else:
        weights = jnp.zeros((system.n_steps, 0), current.dtype)
    return Drive(current_nA=current, event_weights=weights)
