"""Membrane currents of every mechanism group, linearised in the voltage (NEURON's ``di/dv``),
and the ion totals (``ina``, ``ica``, ...) that mechanisms read."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..mechanisms._base import NONSPECIFIC
from ._cable import Cable
from ._index import at_sites, spread
from ._ions import site_params
from ._system import MechanismGroup, System

Array = jax.Array


def site_voltage(system: System, group: MechanismGroup, v: Array) -> Array:
    """The voltage (mV) at every site of a mechanism group."""
    return at_sites(group, v, system.n_comp)


def recorded_groups(system: System) -> frozenset[int]:
    """The mechanism groups whose currents or assigned values are recorded."""
    return frozenset(gi for gi, _, _ in system.records.current_sources if gi >= 0)


def named_currents(group: MechanismGroup, parts: dict[str, Array]) -> dict[str, Array]:
    """Species currents under NEURON's names (``ina``, ``ica``, the nonspecific name)."""
    return {group.mechanism_type.current_name(sp): x for sp, x in parts.items()}


def membrane_currents(
    system: System,
    cable: Cable,
    v: Array,
    states: tuple[dict[str, Array], ...],
    env: dict[str, Array] | None = None,
    probe: dict[int, dict[str, Array]] | None = None,
) -> tuple[Array, Array, dict[str, Array]]:
    """Ionic current (nA) and its conductance ``di/dv`` (µS) per compartment at ``v`` (mV),
    and ``{i<ion>: (n_comp,)}`` the total current density (mA/cm², outward positive) of every
    ion whose total a mechanism reads (``System.ions.current_reads``).

    Each group's current is evaluated once with its exact derivative (a JVP). Density
    currents (mA/cm²) are scaled by the site's area (``0.01 µm²``), point currents are nA
    already; sites that repeat add up (scatter-add). ``env``: the ion variables of this step
    (:func:`~dendrax.solve._ions.ion_environment`; default the fixed values). ``probe``: if
    given, filled with ``{group: {name: (n_sites,)}}``, the currents (NEURON's names) and
    assigned values of every recorded group, as used in this step.
    """
    watched = recorded_groups(system) if probe is not None else frozenset()
    n = system.n_comp
    wanted = system.ions.current_reads
    i_density = jnp.zeros(n, v.dtype)  # mA/cm², summed first and scaled once
    g_density = jnp.zeros(n, v.dtype)
    i_point = jnp.zeros(n, v.dtype)  # nA
    g_point = jnp.zeros(n, v.dtype)
    totals = {name: jnp.zeros(n, v.dtype) for name in wanted}
    point_totals = {name: jnp.zeros(n, v.dtype) for name in wanted}
    for gi, (group, s) in enumerate(zip(system.mechanisms, states)):
        mechanism = group.mechanism
        vg = site_voltage(system, group, v)
        params = site_params(system, group, v, env)
        split = bool(wanted) or gi in watched

        def current(vv, mechanism=mechanism, s=s, params=params, split=split):
            if split:
                return mechanism.species_currents(vv, s, params, system.celsius)
            return mechanism.current(vv, s, params, system.celsius)

        if split:
            parts, dparts = jax.jvp(current, (vg,), (jax.tree_util.tree_map(jnp.ones_like, vg),))
            i = sum(parts.values())
            di_dv = sum(dparts.values())
            if probe is not None and gi in watched:
                probe[gi] = {
                    **named_currents(group, parts),
                    **mechanism.assigned_values(vg, s, params, system.celsius),
                }
            for species, part in parts.items():
                name = "i" + species
                if species == NONSPECIFIC or name not in totals:
                    continue
                if group.is_point:
                    point_totals[name] = point_totals[name].at[group.compartments].add(part)
                else:
                    totals[name] = totals[name] + spread(group, part, n)
        else:
            i, di_dv = jax.jvp(current, (vg,), (jnp.ones_like(vg),))
        if group.is_point:
            i_point = i_point.at[group.compartments].add(i)
            g_point = g_point.at[group.compartments].add(di_dv)
        else:  # the same sums, in the same order, as scatter-adds would make
            i_density = i_density + spread(group, i, n)
            g_density = g_density + spread(group, di_dv, n)
    scale = 0.01 * cable.area_um2
    if any(g.is_point for g in system.mechanisms):  # nA -> mA/cm² of the compartment
        totals = {k: totals[k] + point_totals[k] / scale for k in totals}
    return i_density * scale + i_point, g_density * scale + g_point, totals
