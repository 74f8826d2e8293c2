"""The compiled, immutable model: a pytree whose leaves are every number and index array.

:func:`dendrax.compile` lowers a description to a :class:`System`; :func:`dendrax.simulate` is
a pure function of it. Static (hashed, part of the jitted structure) are only things that do
not grow with the model: counts, the method, the tree solver, mechanism classes, region names
and record keys. Everything that grows with cells, branches, synapses or recordings is an array.

Node numbering: the compartments of every cell (cell by cell, branch by branch), then the
zero-area junction nodes at branch ends that carry children. The cable graph is a forest: one
tree per cell. Units: µm, µm², Ω·cm, µF/cm², mV, ms, nA, µS, °C.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax

from ..mechanisms._base import Mechanism, PointMechanism
from ._methods import Method
from ._tree import AbstractTreeSolver

Array = jax.Array


class MechanismGroup(eqx.Module):
    """Every instance of one mechanism class: its sites and per-site parameters.

    Density mechanisms have one site per compartment that carries them; point mechanisms one
    per placed instance (sites may repeat: several synapses on one compartment).
    """

    mechanism_type: type[Mechanism] = eqx.field(static=True)
    covers_all: bool = eqx.field(static=True)  # density on compartments 0..n_comp-1, in order
    receives_events: bool = eqx.field(static=True)  # point mechanisms with an event input
    compartments: Array  # (n_sites,) int
    params: dict[str, Array]  # each (n_sites,)
    # presynaptic (graded) point mechanisms: the compartment whose voltage each site reads as
    # ``params["v_pre"]``; empty otherwise
    pre_compartments: Array | None = None
    # density mechanisms on part of the cell: (n_comp,) int, for every compartment ``c`` the
    # position of its site, or ``n_sites + c`` where it has none (``solve._index.spread``:
    # per-site values to compartments by a gather, which fuses, instead of a scatter)
    site_of: Array | None = None

    @property
    def mechanism(self) -> Mechanism:
        return self.mechanism_type()

    @property
    def is_point(self) -> bool:
        return issubclass(self.mechanism_type, PointMechanism)


class IonPools(eqx.Module):
    """How ion variables evolve (``mechanisms._ions``); the fixed values and initial
    concentrations are ``System.ion_values``.

    ``nernst`` lists ``(erev, ci, co, valence)``: the reversal potential ``erev`` is the Nernst
    potential of the concentrations ``ci``/``co`` at the start of every step where ``mask`` is
    set (elsewhere its fixed value). ``written`` are the concentrations mechanisms integrate
    (``State.conc``); ``current_reads`` the ion totals ``i<ion>`` some mechanism reads.
    """

    nernst: tuple[tuple[str, str, str, int], ...] = eqx.field(static=True, default=())
    written: tuple[str, ...] = eqx.field(static=True, default=())
    current_reads: tuple[str, ...] = eqx.field(static=True, default=())
    mask: tuple[Array, ...] = ()  # per nernst entry: (n_comp,) bool

    @property
    def dynamic(self) -> bool:
        return bool(self.nernst or self.written or self.current_reads)


class Clamps(eqx.Module):
    """Single-electrode voltage clamps (NEURON's ``SEClamp``): the command ``vc`` (mV) behind a
    series resistance ``rs`` (MΩ) at ``node``; per step the level at the step midpoint, or off
    (``on`` 0: no current, no conductance). Implicit: ``i = (vc - V^{n+1}) / rs`` (nA)."""

    node: Array  # (n_clamp,) int
    rs_MOhm: Array  # (n_clamp,)
    vc_mV: Array  # (n_steps, n_clamp)
    on: Array  # (n_steps, n_clamp) 0/1


class Topology(eqx.Module):
    """The cable graph as a forest of rooted trees (index arrays only)."""

    parent: Array  # (n_nodes,) int, -1 for every root
    schedule: Array  # the tree solver's table (see solve._tree)
    # The axial resistance of the edge (node, parent) is the sum of up to two compartment
    # halves: (comp_a, side_a) and (comp_b, side_b); comp -1 means "no half" (junction side).
    # side 0 = left half (towards x=0), side 1 = right half.
    half_a_comp: Array
    half_a_side: Array
    half_b_comp: Array
    half_b_side: Array


class Layout(eqx.Module):
    """Where every compartment lies: cell, branch, region, distance; and the user's groups.

    Used to resolve regions and sharing (``dendrax.ParameterMap`` needs only the System) and
    locations ``(cell, branch, x)``; never read inside ``simulate``. Branch names stay in the
    description (they grow with the model and are not needed here).
    """

    region_names: tuple[str, ...] = eqx.field(static=True)
    group_names: tuple[str, ...] = eqx.field(static=True)
    cell_of_comp: Array  # (n_comp,) int
    branch_of_comp: Array  # (n_comp,) int, the branch index within its cell
    region_of_comp: Array  # (n_comp,) int into region_names
    distance_um: Array  # (n_comp,) path distance from the cell's root centre (µm)
    comp_offset: Array  # (n_cells + 1,) first compartment of every cell
    branch_offset: Array  # (n_cells + 1,) first global branch of every cell
    branch_first_comp: Array  # (n_branches,) global compartment index of x=0's compartment
    branch_ncomp: Array  # (n_branches,)
    group_members: tuple[Array, ...]  # per group name: global compartment indices
    population_names: tuple[str, ...] = eqx.field(static=True, default=())
    population_of_cell: Array | None = None  # (n_cells,) int into population_names


class Stimuli(eqx.Module):
    """Current injections (nA, positive depolarising) at ``compartment[k]``, per step, as the
    value at the step midpoint: fixed waveforms from the description plus named inputs
    (``dendrax.CurrentInput``) passed to ``simulate`` per call."""

    input_names: tuple[str, ...] = eqx.field(static=True)
    event_names: tuple[str, ...] = eqx.field(static=True)
    compartment: Array  # (n_sites,) int
    current_nA: Array  # (n_steps, n_sites), the fixed part
    input_column: Array  # (n_slots,) site column fed by each input slot
    input_index: Array  # (n_slots,) which named input feeds the slot
    # per point group that receives events: (group index, instance of each event name)
    event_group: tuple[int, ...] = eqx.field(static=True)
    event_instance: tuple[Array, ...] = ()  # per event group: (n_event_names_of_group,) ints
    event_index: tuple[Array, ...] = ()  # per event group: index into event_names


class RecordSpec(eqx.Module):
    """What to record, vectorised: all voltages in one gather, and one gather per source,
    whatever the number of recordings.

    Sources, in the order of the samples' columns: voltages; mechanism states (after the
    step); concentrations (after the step); reversal potentials (at the start of the step);
    BREAKPOINT quantities of a mechanism group (currents ``ina``/``ihcn``/..., ``assigned``
    values; at the start of the step, FORMAT_V2 section 5), several of which may add into
    one recording (an ion's total current); voltage-clamp currents.
    """

    keys: tuple[str, ...] = eqx.field(static=True)
    state_sources: tuple[tuple[int, str], ...] = eqx.field(static=True)  # (group, state)
    v_nodes: Array  # (n_v,) node of every voltage recording
    state_positions: tuple[Array, ...]  # per state source: site positions in the group
    order: Array  # (n_rec,) column of every key in the concatenated samples
    is_voltage: Array  # (n_rec,) bool
    conc_names: tuple[str, ...] = eqx.field(static=True, default=())
    conc_nodes: tuple[Array, ...] = ()
    erev_names: tuple[str, ...] = eqx.field(static=True, default=())
    erev_nodes: tuple[Array, ...] = ()
    # (group, name, to_density): to_density converts a point current (nA) to mA/cm²
    current_sources: tuple[tuple[int, str, bool], ...] = eqx.field(static=True, default=())
    current_positions: tuple[Array, ...] = ()
    current_target: Array | None = None  # (n_contrib,) column among the current recordings
    n_current: int = eqx.field(static=True, default=0)
    clamp_index: Array | None = None  # (n_clamp_rec,) into System.clamps

    @property
    def needs_start_of_step(self) -> bool:
        return bool(self.erev_names or self.current_sources)


class Detectors(eqx.Module):
    """Spike detectors: a threshold on the voltage of one compartment per detecting cell
    (NEURON's ``NetCon`` watching ``v``; ``NETWORK_FORMAT.md`` rule 1)."""

    cell: Array  # (n_det,) int, the cell of every detector
    node: Array  # (n_det,) int, the compartment watched
    threshold_mV: Array  # (n_det,) mV


class Inbox(eqx.Module):
    """Every connection into one point-mechanism group (its sites receive the events).

    Connection ``c`` sends events of weight ``weight_uS[c]`` to site ``site[c]`` of the group,
    ``delay_ms[c]`` after each spike of detector ``pre[c]`` (through the delay ring; these are
    the first ``n_ring`` connections) or, for the others (``pre[c] == -1``), after each event
    of an artificial source: the fixed events (``source_time_ms``, ``source_conn``) of
    NetStims and spike lists, and the per-call trains of named spike inputs. Source events
    are delivered through ``source_column``: the distinct sites that sources reach.
    """

    group: int = eqx.field(static=True)
    n_ring: int = eqx.field(static=True)  # connections 0..n_ring-1 come from detectors
    spike_inputs: tuple[str, ...] = eqx.field(static=True)  # names of per-call spike trains
    weight_uS: Array  # (n_c,)
    delay_ms: Array  # (n_c,)
    site: Array  # (n_c,) int, site in the group
    pre: Array  # (n_c,) int, detector index, -1 for a source
    source_column: Array  # (n_c,) int, column of a source connection's site (-1: from a cell)
    column_site: Array  # (n_col,) int, the site of every source column
    source_time_ms: Array  # (n_ev,) the fixed source events (ms) ...
    source_conn: Array  # (n_ev,) int ... and the connection that carries each
    source_at_init: Array  # (n_ev,) bool: a NetStim event, delivered in finitialize if t_d = 0
    input_conn: tuple[Array, ...]  # per spike input: (n_k,) connections it feeds
    input_row: tuple[Array, ...]  # per spike input: (n_k,) which of its trains feeds each
    # who is connected (for sharing of trainables; never read inside simulate)
    pre_cell: Array  # (n_c,) int, the presynaptic cell; -1 for a source
    pre_source: Array  # (n_c,) int, the source id; -1 for a cell
    post_cell: Array  # (n_c,) int
    label: Array  # (n_c,) int into Events.connection_names (the connect() call's name)
    conn_id: Array | None = None  # (n_c,) int, the global connection id (ConnectionSet.ids)


class Events(eqx.Module):
    """Spike detection and event delivery of a network; empty for a single cell."""

    ring_size: int = eqx.field(static=True)  # steps of spike history kept (max lag + 1)
    spike_inputs: tuple[tuple[str, int], ...] = eqx.field(static=True)  # (name, n trains)
    spike_gradient: Any = eqx.field(static=True)  # None (exact) or a surrogate, see _spikes
    connection_names: tuple[str, ...] = eqx.field(static=True)  # names of connect() calls
    detectors: Detectors
    inboxes: tuple[Inbox, ...]


class GapJunctions(eqx.Module):
    """Ohmic couplings ``i = g (v_a - v_b)`` (nA) between compartment pairs of any cells,
    solved implicitly with the cable equation (see ``solve._gap``)."""

    node_a: Array  # (n_gap,) int
    node_b: Array  # (n_gap,) int
    g_uS: Array  # (n_gap,) µS
    # the solver's plan, from solve._gap.plan_gap_junctions (None: one tree solve per junction)
    color_a: Array | None = None  # (n_gap,) int, probe column of node_a
    color_b: Array | None = None  # (n_gap,) int, probe column of node_b
    probe: Array | None = None  # (n_colors, n_cells) int, junction node per colour, cell; -1
    node_cell: Array | None = None  # (n_nodes,) int, the cell of every node


class System(eqx.Module):
    """Everything :func:`dendrax.simulate` needs, produced by :func:`dendrax.compile`."""

    n_comp: int = eqx.field(static=True)
    n_nodes: int = eqx.field(static=True)
    n_steps: int = eqx.field(static=True)
    n_cells: int = eqx.field(static=True)
    # NEURON's mechanism order for state updates (built-ins, then sorted mod-file names)
    update_order: tuple[int, ...] = eqx.field(static=True)
    method: Method = eqx.field(static=True)
    tree_solver: AbstractTreeSolver = eqx.field(static=True)

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
    ion_values: dict[str, Array]  # per ion variable used: (n_comp,) fixed value, mV or mM
    ions: IonPools
    stimuli: Stimuli
    records: RecordSpec
    layout: Layout
    events: Events | None = None
    gap_junctions: GapJunctions | None = None
    clamps: Clamps | None = None

    @property
    def t_stop_ms(self) -> Any:
        return self.dt_ms * self.n_steps

    @property
    def record_keys(self) -> tuple[str, ...]:
        """The keys of the recordings, in the order of ``Result.data``'s columns."""
        return self.records.keys

    def step_midpoints_ms(self) -> Array:
        """``t_n + dt/2`` for every step (ms): when a per-step input value applies."""
        import jax.numpy as jnp

        return (jnp.arange(self.n_steps, dtype=self.dt_ms.dtype) + 0.5) * self.dt_ms
