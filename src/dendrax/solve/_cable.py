"""The cable equation's linear system: per-run constants, axial currents, and the implicit
voltage step assembled and solved on the forest of trees.

Absolute units inside: voltage mV, current nA, conductance µS, capacitance nF, time ms
(nF · mV/ms = nA). Conversions from densities on an area in µm²:
``mA/cm² · µm² = 0.01 nA``, ``S/cm² · µm² = 0.01 µS``, ``µF/cm² · µm² = 1e-5 nF``.
The step is NEURON's (Hines 1984): ``(C/dt' + G_axial + di/dv) ΔV = I_axial(V) - i(V) + I_stim``
with ``dt' = dt`` (backward Euler) or ``dt/2`` (Crank-Nicolson, then ``V += 2 ΔV``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._gap import gap_current, solve_with_gaps
from ._system import System
from ._tree import solve_tree

Array = jax.Array


class Cable(eqx.Module):
    """Per-run constants of the linear system, computed once from the System's parameters."""

    area_um2: Array  # (n_comp,)
    g_edge_uS: Array  # (n_nodes,), conductance to the parent node; 0 at every root
    diag_uS: Array  # (n_nodes,), C/dt' + sum of axial conductances


def membrane_area(system: System) -> Array:
    """Membrane area of every compartment (µm²)."""
    return system.area_scale * jnp.pi * system.diam_um * system.length_um


def edge_conductance(system: System) -> Array:
    """Axial conductance (µS) between every node and its parent; 0 for the roots."""
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
    """Areas, axial conductances and the constant part of the diagonal, once per run."""
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


def axial_currents(system: System, cable: Cable, v: Array) -> Array:
    """Net axial current (nA) flowing into every node from its neighbours at voltage ``v``."""
    parent = system.topology.parent
    p = jnp.maximum(parent, 0)
    flow = cable.g_edge_uS * (v[p] - v)  # into each node from its parent
    return flow - jnp.zeros_like(flow).at[p].add(flow)


def cable_solve(
    system: System,
    cable: Cable,
    v: Array,
    i_nA: Array,
    g_uS: Array,
    stim_nA: Array,
    clamp_vc_mV: Array | None = None,
    clamp_on: Array | None = None,
) -> Array:
    """The implicit (linearised) voltage step; returns the new node voltages (mV).

    ``i_nA``/``g_uS``: membrane current and its conductance ``di/dv`` per compartment;
    ``stim_nA``: the injected current at every stimulus site (``system.stimuli.compartment``);
    ``clamp_vc_mV``/``clamp_on``: the voltage clamps' command and on/off of this step
    (``system.clamps``): each adds ``1/rs`` (µS) to its node's diagonal and
    ``(vc - V^n)/rs`` (nA) to the right side, so that ``i = (vc - V^{n+1})/rs``.
    """
    n = system.n_comp
    rhs = axial_currents(system, cable, v)
    rhs = rhs.at[:n].add(-i_nA).at[system.stimuli.compartment].add(stim_nA)
    diag = cable.diag_uS.at[:n].add(g_uS)
    clamps = system.clamps
    if clamps is not None and clamp_vc_mV is not None and clamp_on is not None:
        g_clamp = clamp_on / clamps.rs_MOhm
        rhs = rhs.at[clamps.node].add(g_clamp * (clamp_vc_mV - v[clamps.node]))
        diag = diag.at[clamps.node].add(g_clamp)
    topo, gaps = system.topology, system.gap_junctions
    if gaps is None:
        dv = solve_tree(system.tree_solver, diag, cable.g_edge_uS, rhs, topo.parent, topo.schedule)
    else:  # coupling current on the right, its conductance in the matrix (solve._gap)
        rhs = rhs + gap_current(gaps, v)
        dv = solve_with_gaps(
            system.tree_solver, diag, cable.g_edge_uS, rhs, topo.parent, topo.schedule, gaps
        )
    return v + system.method.extrapolation * dv
