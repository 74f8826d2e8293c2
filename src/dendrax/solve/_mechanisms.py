"""Advance every mechanism's states by one step, at the new voltage (NEURON's order)."""

from __future__ import annotations

import jax

from ._currents import site_voltage
from ._ions import site_params
from ._system import System

Array = jax.Array


def advance_mechanisms(
    system: System, states: tuple[dict[str, Array], ...], v_new: Array
) -> tuple[dict[str, Array], ...]:
    """Each group's ``update`` (exponential Euler on gates by default) over ``dt`` at ``v_new``."""
    out = []
    for group, s in zip(system.mechanisms, states):
        vg = site_voltage(system, group, v_new)
        params = site_params(system, group, v_new)
        out.append(group.mechanism.update(vg, s, params, system.dt_ms, system.celsius))
    return tuple(out)
