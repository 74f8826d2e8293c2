"""The compiled, immutable model: a pytree whose leaves are every number and index array.

Node numbering: compartments ``0..n_comp-1`` (branch by branch), then the zero-area junction
nodes at branch ends that carry children. Units: µm, µm², Ω·cm, µF/cm², mV, ms, nA, °C.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax

from ..mechanisms._channel import Channel
from ..solve._methods import Method
from ..solve._tree import TreeSolver

Array = jax.Array


class MechanismGroup(eqx.Module):
    """One channel type on the compartments that carry it, with per-compartment parameters."""

    channel_type: type[Channel] = eqx.field(static=True)
    covers_all: bool = eqx.field(static=True)  # True: compartments 0..n_comp-1, in order
    compartments: Array  # (n,) int
    params: dict[str, Array]  # each (n,)

    @property
    def channel(self) -> Channel:
        return self.channel_type()


class Topology(eqx.Module):
    """The cable graph as a rooted tree (index arrays only)."""

    parent: Array  # (n_nodes,) int, -1 for the root
    schedule: Array  # topological order (n_nodes,) or level table (n_levels, width)
    # The axial resistance of the edge (node, parent) is the sum of up to two compartment
    # halves: (comp_a, side_a) and (comp_b, side_b); comp -1 means "no half" (junction side).
    # side 0 = left half (towards x=0), side 1 = right half.
    half_a_comp: Array
    half_a_side: Array
    half_b_comp: Array
    half_b_side: Array


class Stimuli(eqx.Module):
    """Current injections: ``current_nA[n, k]`` goes into compartment ``compartment[k]`` during
    step ``n`` (the value at the step midpoint)."""

    compartment: Array  # (n_sites,) int
    current_nA: Array  # (n_steps, n_sites)


class RecordSpec(eqx.Module):
    """What to record: voltages at compartments and states of mechanism groups."""

    keys: tuple[str, ...] = eqx.field(static=True)
    # per key: ("v", -1, "") or ("state", group index, state name)
    sources: tuple[tuple[str, int, str], ...] = eqx.field(static=True)
    positions: tuple[Array, ...]  # per key: compartment (v) or position inside the group


class System(eqx.Module):
    """Everything :func:`dendrax.simulate` needs, produced by :func:`dendrax.compile`."""

    n_comp: int = eqx.field(static=True)
    n_nodes: int = eqx.field(static=True)
    n_steps: int = eqx.field(static=True)
    method: Method = eqx.field(static=True)
    tree_solver: TreeSolver = eqx.field(static=True)
    branch_names: tuple[str, ...] = eqx.field(static=True)

    dt_ms: Array
    v_init_mV: Array
    celsius: Array
    # per compartment
    length_um: Array
    diam_um: Array
    area_scale: Array
    axial_scale_left: Array
    axial_scale_right: Array
    Ra_ohm_cm: Array
    cm_uF_cm2: Array

    topology: Topology
    mechanisms: tuple[MechanismGroup, ...]
    stimuli: Stimuli
    records: RecordSpec

    @property
    def t_stop_ms(self) -> Any:
        return self.dt_ms * self.n_steps
