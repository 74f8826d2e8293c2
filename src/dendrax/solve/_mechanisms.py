"""Advance every mechanism's states by one step, at the new voltage, in NEURON's mechanism
order; concentrations written by a mechanism are seen by the mechanisms updated after it."""

from __future__ import annotations

import jax

from ._currents import site_voltage
from ._index import spread
from ._ions import site_params
from ._system import MechanismGroup, System

Array = jax.Array


def write_concentrations(
    group: MechanismGroup, new: dict[str, Array], env: dict[str, Array]
) -> dict[str, Array]:
    """Move the concentrations a mechanism returned (``ion_writes``) from ``new`` into the
    per-compartment ``env``; returns the states that remain."""
    writes = group.mechanism_type.ion_writes
    if not writes:
        return new
    new = dict(new)
    for name in writes:
        if name not in new:
            continue
        value = new.pop(name)
        if group.covers_all:
            env[name] = value
        elif group.site_of is not None:
            env[name] = spread(group, value, env[name].shape[-1], base=env[name])
        else:
            env[name] = env[name].at[group.compartments].set(value)
    return new


def advance_mechanisms(
    system: System,
    states: tuple[dict[str, Array], ...],
    v_new: Array,
    env: dict[str, Array] | None = None,
) -> tuple[tuple[dict[str, Array], ...], dict[str, Array]]:
    """Each group's ``update`` (exponential Euler on gates by default) over ``dt`` at ``v_new``.

    ``env``: the ion variables of this step (with the ion totals ``i<ion>`` of its start); a
    concentration one group writes is read by the groups updated after it. Returns the new
    states and the new concentrations ``{name: (n_comp,)}`` (``System.ions.written``).
    """
    env = dict(system.ion_values if env is None else env)
    out: list = [None] * len(states)
    for gi in system.update_order:
        group, s = system.mechanisms[gi], states[gi]
        vg = site_voltage(system, group, v_new)
        params = site_params(system, group, v_new, env)
        new = group.mechanism.update(vg, s, params, system.dt_ms, system.celsius)
        out[gi] = write_concentrations(group, new, env)
    return tuple(out), {name: env[name] for name in system.ions.written}
