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


def drive_per_step(system: System, inputs: Mapping | None):
    """The ``(n_steps, ...)`` drive: fixed stimuli plus every named input of ``inputs``, and
    the events delivered at initialisation (see :func:`source_drive`)."""
    stim = system.stimuli
    inputs = {} if inputs is None else inputs
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"inputs={type(inputs).__name__}: give a dict {{name: array}} of the model's named "
            f"inputs {list(stim.input_names + stim.event_names)}."
        )
    spike_rows = dict(system.events.spike_inputs) if system.events is not None else {}
    known = set(stim.input_names) | set(stim.event_names) | set(spike_rows)
    unknown = sorted(set(inputs) - known)
    missing = sorted(known - set(inputs))
    if unknown or missing:
        raise ValueError(
            f"simulate(inputs=...): the model's named inputs are "
            f"{sorted(known) or 'none'}"
            + (f"; unknown: {unknown}" if unknown else "")
            + (f"; missing: {missing} (give every one, e.g. zeros)" if missing else "")
            + ". Declare inputs with cell.stimulate(dx.CurrentInput(name), at=...), "
            "cell.place(mechanism, at=..., events=name) or network.add_source(dx.SpikeInput(name))."
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
    source, init = source_drive(system, inputs, spike_rows)
    clamps = system.clamps
    if clamps is None:
        return Drive(current_nA=current, event_weights=weights, source=source), init
    drive = Drive(
        current_nA=current,
        event_weights=weights,
        source=source,
        clamp_vc_mV=clamps.vc_mV,
        clamp_on=clamps.on,
    )
    return drive, init


def _spike_trains(system: System, name: str, value, n_rows: int) -> Array:
    a = jnp.asarray(value, dtype=system.dt_ms.dtype)
    if a.ndim == 1 and n_rows == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[0] != n_rows:
        raise ValueError(
            f"inputs[{name!r}] has shape {a.shape}; the spike input {name!r} has {n_rows} "
            f"train(s): give spike times (ms) of shape ({n_rows}, n_spikes), padded with "
            "jnp.inf where a train has fewer spikes"
            + (", or (n_spikes,) for its one train" if n_rows == 1 else "")
            + ". Times below 0 are ignored. For a batch of trains, jax.vmap the call."
        )
    return a


def source_drive(system: System, inputs: Mapping, spike_rows: dict):
    """Per inbox, the events of its artificial sources on the step grid.

    Returns ``(per_step, init)``: ``per_step[k] = (weights, counts)``, each
    ``(n_steps, n_columns)``: the events with delivery time ``t_d = t + delay`` in slot
    ``m = ceil(t_d/dt - 1/2)`` (``NETWORK_FORMAT.md`` rule 3; slots past the end are
    dropped); ``init[k]``: the same ``(n_columns,)`` for NetStim events with ``t_d = 0``
    exactly, which NEURON delivers during ``finitialize`` (spike lists are sent with
    ``NetCon.event`` after it, so theirs go to slot 0).
    """
    events = system.events
    if events is None:
        return (), ()
    n = system.n_steps
    dt = system.dt_ms
    per_step, init = [], []
    for inbox in events.inboxes:
        dtype = inbox.weight_uS.dtype
        n_col = inbox.column_site.shape[0]
        times = [inbox.source_time_ms]
        conns = [inbox.source_conn]
        may_init = [inbox.source_at_init]
        for name, conn, row in zip(inbox.spike_inputs, inbox.input_conn, inbox.input_row):
            trains = _spike_trains(system, name, inputs[name], spike_rows[name])
            times.append(trains[row].reshape(-1))
            conns.append(jnp.repeat(conn, trains.shape[1]))
            may_init.append(jnp.zeros(conn.shape[0] * trains.shape[1], bool))
        t = jnp.concatenate(times).astype(dtype)
        c = jnp.concatenate(conns)
        td = t + inbox.delay_ms[c]
        col = inbox.source_column[c]
        ok = jnp.isfinite(td) & (td >= 0)
        at_init = ok & (td == 0) & jnp.concatenate(may_init)
        slot = jnp.where(ok & ~at_init, jnp.ceil(td / dt - 0.5), n).astype(jnp.int32)
        w = inbox.weight_uS[c]
        one = jnp.ones_like(w)
        grid = jnp.zeros((n, n_col), dtype)
        per_step.append(
            (
                grid.at[slot, col].add(w, mode="drop"),
                grid.at[slot, col].add(one, mode="drop"),
            )
        )
        zero = jnp.zeros(n_col, dtype)
        init.append(
            (
                zero.at[col].add(jnp.where(at_init, w, 0.0)),
                zero.at[col].add(jnp.where(at_init, one, 0.0)),
            )
        )
    return tuple(per_step), tuple(init)
