"""Membrane currents of every mechanism group, linearised in the voltage (NEURON's ``di/dv``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._cable import Cable
from ._ions import site_params
from ._system import MechanismGroup, System

Array = jax.Array


def site_voltage(system: System, group: MechanismGroup, v: Array) -> Array:
    """The voltage (mV) at every site of a mechanism group."""
    return v[: system.n_comp] if group.covers_all else v[group.compartments]


def membrane_currents(
    system: System, cable: Cable, v: Array, states: tuple[dict[str, Array], ...]
) -> tuple[Array, Array]:
    """Ionic current (nA) and its conductance ``di/dv`` (µS) per compartment at ``v`` (mV).

    Each group's current is evaluated once with its exact derivative (a JVP). Density
    currents (mA/cm²) are scaled by the site's area (``0.01 µm²``), point currents are nA
    already; sites that repeat add up (scatter-add).
    """
    n = system.n_comp
    i_density = jnp.zeros(n, v.dtype)  # mA/cm², summed first and scaled once
    g_density = jnp.zeros(n, v.dtype)
    i_point = jnp.zeros(n, v.dtype)  # nA
    g_point = jnp.zeros(n, v.dtype)
    for group, s in zip(system.mechanisms, states):
        mechanism = group.mechanism
        vg = site_voltage(system, group, v)

        params = site_params(system, group, v)

        def current(vv, mechanism=mechanism, s=s, params=params):
            return mechanism.current(vv, s, params, system.celsius)

        i, di_dv = jax.jvp(current, (vg,), (jnp.ones_like(vg),))
        if group.is_point:
            i_point = i_point.at[group.compartments].add(i)
            g_point = g_point.at[group.compartments].add(di_dv)
        elif group.covers_all:
            i_density, g_density = i_density + i, g_density + di_dv
        else:
            i_density = i_density.at[group.compartments].add(i)
            g_density = g_density.at[group.compartments].add(di_dv)
    scale = 0.01 * cable.area_um2
    return i_density * scale + i_point, g_density * scale + g_point
