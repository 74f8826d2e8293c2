"""One time step, as a pipeline of pure stages:
membrane currents -> cable solve -> mechanism states.

Absolute units inside: voltage mV, current nA, conductance µS, capacitance nF, time ms
(nF · mV/ms = nA). Conversions from densities on an area in µm²:
``mA/cm² · µm² = 0.01 nA``, ``S/cm² · µm² = 0.01 µS``, ``µF/cm² · µm² = 1e-5 nF``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..model._system import System
from ._tree import solve_tree

Array = jax.Array


class State(eqx.Module):
    """Dynamic variables: node voltages (mV) and the states of every mechanism group."""

    v: Array  # (n_nodes,) compartments first, then zero-area junction nodes
    states: tuple[dict[str, Array], ...]


class Cable(eqx.Module):
    """Per-run constants of the linear system, computed once from the System's parameters."""

    area_um2: Array  # (n_comp,)
    g_edge_uS: Array  # (n_nodes,), conductance to the parent node; 0 at the root
    diag_uS: Array  # (n_nodes,), C/dt' + sum of axial conductances


def membrane_area(system: System) -> Array:
    """Membrane area of every compartment (µm²)."""
    return system.area_scale * jnp.pi * system.diam_um * system.length_um


def edge_conductance(system: System) -> Array:
    """Axial conductance (µS) between every node and its parent; 0 for the root."""
    half_cyl = (system.length_um / 2.0) / (jnp.pi * system.diam_um**2 / 4.0)  # 1/µm
    # MΩ = 0.01 · Ra[Ω·cm] · factor[1/µm]
    r_left = 0.01 * system.Ra_ohm_cm * system.axial_scale_left * half_cyl
    r_right = 0.01 * system.Ra_ohm_cm * system.axial_scale_right * half_cyl
    topo = system.topology

    def half(comp, side):
        c = jnp.maximum(comp, 0)
        r = jnp.where(side == 0, r_left[c], r_right[c])
        return jnp.where(comp >= 0, r, 0.0)

    r = half(topo.half_a_comp, topo.half_a_side) + half(topo.half_b_comp, topo.half_b_side)
    has_parent = topo.parent >= 0
    return jnp.where(has_parent, 1.0 / jnp.where(has_parent, r, 1.0), 0.0)


def cable_constants(system: System) -> Cable:
    area = membrane_area(system)
    g = edge_conductance(system)
    dt_eff = system.dt_ms * system.method.dt_factor
    cap_nF = (
        jnp.zeros(system.n_nodes, area.dtype)
        .at[: system.n_comp]
        .set(1e-5 * system.cm_uF_cm2 * area)
    )
    parent = jnp.maximum(system.topology.parent, 0)
    axial = g + jnp.zeros_like(g).at[parent].add(g)
    return Cable(area_um2=area, g_edge_uS=g, diag_uS=cap_nF / dt_eff + axial)


def initial_state(system: System) -> State:
    """``v = v_init`` on every node; every gate at its steady state for ``v_init``."""
    dtype = system.length_um.dtype
    v = jnp.full(system.n_nodes, system.v_init_mV, dtype=dtype)
    states = []
    for group in system.mechanisms:
        vg = jnp.full(group.compartments.shape, system.v_init_mV, dtype=dtype)
        s = group.channel.init_states(vg, group.params, system.celsius)
        states.append({k: jnp.asarray(s[k], dtype) for k in group.channel_type.states})
    return State(v=v, states=tuple(states))


def _group_voltage(system: System, group, v: Array) -> Array:
    return v[: system.n_comp] if group.covers_all else v[group.compartments]


def membrane_currents(system: System, cable: Cable, state: State) -> tuple[Array, Array]:
    """Ionic current (nA) and its conductance di/dv (µS) per compartment at the present state."""
    n = system.n_comp
    i_total = jnp.zeros(n, state.v.dtype)
    g_total = jnp.zeros(n, state.v.dtype)
    for group, s in zip(system.mechanisms, state.states):
        channel = group.channel
        vg = _group_voltage(system, group, state.v)

        def density(vv, channel=channel, s=s, group=group):
            return channel.current(vv, s, group.params, system.celsius)

        i, di_dv = jax.jvp(density, (vg,), (jnp.ones_like(vg),))
        if group.covers_all:
            i_total, g_total = i_total + i, g_total + di_dv
        else:
            i_total = i_total.at[group.compartments].add(i)
            g_total = g_total.at[group.compartments].add(di_dv)
    scale = 0.01 * cable.area_um2
    return i_total * scale, g_total * scale


def axial_currents(system: System, cable: Cable, v: Array) -> Array:
    """Net axial current (nA) flowing into every node from its neighbours at voltage ``v``."""
    parent = system.topology.parent
    p = jnp.maximum(parent, 0)
    flow = cable.g_edge_uS * (v[p] - v)  # into each node from its parent
    return flow - jnp.zeros_like(flow).at[p].add(flow)


def advance_voltage(system: System, cable: Cable, state: State, stim_nA: Array) -> Array:
    """Implicit (linearised) voltage update of one step; returns the new node voltages."""
    i_ion, g_ion = membrane_currents(system, cable, state)
    n = system.n_comp
    rhs = axial_currents(system, cable, state.v)
    rhs = rhs.at[:n].add(-i_ion).at[system.stimuli.compartment].add(stim_nA)
    diag = cable.diag_uS.at[:n].add(g_ion)
    dv = solve_tree(
        system.tree_solver,
        diag,
        cable.g_edge_uS,
        rhs,
        system.topology.parent,
        system.topology.schedule,
    )
    return state.v + system.method.extrapolation * dv


def advance_states(system: System, state: State, v_new: Array) -> tuple[dict[str, Array], ...]:
    """Exponential-Euler (or mechanism-defined) update of every state at the new voltage."""
    out = []
    for group, s in zip(system.mechanisms, state.states):
        vg = _group_voltage(system, group, v_new)
        out.append(group.channel.update(vg, s, group.params, system.dt_ms, system.celsius))
    return tuple(out)


def step(system: System, cable: Cable, state: State, stim_nA: Array) -> State:
    """Advance the state by one time step ``dt`` (ms)."""
    v_new = advance_voltage(system, cable, state, stim_nA)
    return State(v=v_new, states=advance_states(system, state, v_new))
