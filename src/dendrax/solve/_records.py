"""Sampling the recorded variables: one gather per source (voltages, a group's state, an ion
variable, a group's currents), however many recordings there are.

Which instant a sample holds follows NEURON (``FORMAT_V2.md`` section 5): voltages, states and
concentrations after the step; currents, ``assigned`` values and reversal potentials as they
were used in the step, i.e. at its start; a clamp's current with the new voltage."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._cable import cable_constants, membrane_area
from ._currents import membrane_currents
from ._ions import ion_environment, site_params
from ._state import State
from ._system import System

Array = jax.Array


def _breakpoint_values(system: System, start: State, end: State, probe: dict) -> Array:
    """The ``(n_current,)`` current and assigned recordings, from the step's ``probe``
    (``membrane_currents``), and for the capacitive part of ``i_membrane`` the voltage change
    from ``start`` to ``end``."""
    rec = system.records
    columns = []
    for (gi, name, to_density), pos in zip(rec.current_sources, rec.current_positions):
        if gi < 0:  # i_cap = cm dV/dt (µF/cm² mV/ms = 1e-3 mA/cm²) at compartments ``pos``
            dv = end.v[pos] - start.v[pos]
            columns.append(1e-3 * system.cm_uF_cm2[pos] * dv / system.dt_ms)
            continue
        group = system.mechanisms[gi]
        value = jnp.broadcast_to(probe[gi][name], group.compartments.shape)[pos]
        if to_density:  # a point current (nA) into the compartment's density (mA/cm²)
            value = value / (0.01 * membrane_area(system)[group.compartments[pos]])
        columns.append(value)
    total = jnp.zeros(rec.n_current, start.v.dtype)
    if not columns:  # e.g. i_ion where no mechanism is inserted
        return total
    return total.at[rec.current_target].add(jnp.concatenate(columns))


def _probe_at(system: System, state: State) -> tuple[dict, dict]:
    """What ``step_recorded`` returns for a step starting at ``state`` (the initial sample)."""
    env = ion_environment(system, state.conc)
    probe: dict = {}
    membrane_currents(system, cable_constants(system), state.v, state.states, env, probe)
    return probe, env


def sample(
    system: System,
    state: State,
    start: State | None = None,
    drive=None,
    recorded: tuple[dict, dict] | None = None,
) -> Array:
    """``(n_rec,)`` values of every recording, in the System's internal (grouped) order.

    ``state``: after the step; ``start``: at its start (default ``state``: the initial
    sample); ``drive``: the step's :class:`~dendrax.solve._step.Drive` (voltage clamps);
    ``recorded``: the step's currents and ion variables (``step_recorded``), else they are
    evaluated at ``start``.
    """
    rec = system.records
    start = state if start is None else start
    parts = [state.v[rec.v_nodes]]
    for (gi, name), pos in zip(rec.state_sources, rec.state_positions):
        states = state.states[gi]
        if name not in states:  # a derived quantity (Mechanism.observe), e.g. Exp2Syn's g
            group = system.mechanisms[gi]
            states = group.mechanism.observe(states, site_params(system, group))
        parts.append(states[name][pos])
    if rec.conc_names:
        values = {**system.ion_values, **state.conc}
        parts += [values[n][nodes] for n, nodes in zip(rec.conc_names, rec.conc_nodes)]
    if rec.needs_start_of_step or rec.n_current:
        probe, env = _probe_at(system, start) if recorded is None else recorded
        parts += [env[n][nodes] for n, nodes in zip(rec.erev_names, rec.erev_nodes)]
        if rec.n_current:
            parts.append(_breakpoint_values(system, start, state, probe))
    if rec.clamp_index is not None and rec.clamp_index.size and system.clamps is not None:
        clamps, idx = system.clamps, rec.clamp_index
        vc, on = drive.clamp_vc_mV[idx], drive.clamp_on[idx]
        parts.append(on * (vc - state.v[clamps.node[idx]]) / clamps.rs_MOhm[idx])
    return jnp.concatenate(parts) if len(parts) > 1 else parts[0]


def in_key_order(system: System, samples: Array) -> Array:
    """Reorder ``(..., n_rec)`` samples to the order of ``system.records.keys``."""
    return samples[..., system.records.order]
