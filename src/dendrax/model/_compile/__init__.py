"""Lower cell descriptions to an immutable :class:`~dendrax.solve._system.System` (runs once,
in NumPy): the forest of cable trees, mechanism groups, stimuli, records and the layout."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from ..._precision import require_float64_support
from ...solve._methods import BackwardEuler, CrankNicolson, Method
from ...solve._system import System, Topology
from ...solve._tree import AbstractTreeSolver, HinesSequential, make_schedule
from .._cell import Cell
from .._network import Network
from .._units import check_run_options
from ._arrays import ints
from ._ions import build_ions, update_order
from ._layout import build_layout
from ._mechanisms import PointBatch, mechanism_groups
from ._records import build_records, cell_recordings
from ._stimuli import build_clamps, build_stimuli, clamp_placements
from ._topology import build_forest, build_topology

__all__ = ["build_topology", "compile", "n_steps_for"]


def _check_number(name: str, value, *, positive: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number.") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}={value} must be finite.")
    if positive and value <= 0:
        raise ValueError(f"{name}={value} must be > 0.")
    return value


def n_steps_for(dt_ms: float, t_stop_ms: float) -> int:
    """Number of steps; ``t_stop_ms`` must be an integer multiple of ``dt_ms``."""
    dt_ms = _check_number("dt_ms", dt_ms, positive=True)
    t_stop_ms = _check_number("t_stop_ms", t_stop_ms, positive=True)
    n = round(t_stop_ms / dt_ms)
    if n < 1 or abs(n * dt_ms - t_stop_ms) > 1e-9 * max(1.0, t_stop_ms):
        raise ValueError(
            f"t_stop_ms={t_stop_ms} is not an integer multiple of dt_ms={dt_ms}; choose t_stop_ms "
            f"= k * dt_ms (e.g. {max(n, 1) * dt_ms:g})."
        )
    return int(n)


def compile(  # noqa: A001 - the natural name; dendrax.compile mirrors "compile the model"
    cell: Cell | Sequence[Cell] | Network,
    dt_ms: float = 0.025,
    t_stop_ms: float = 100.0,
    *,
    method: Method | None = None,
    v_init_mV: float = -65.0,
    celsius: float = 6.3,
    tree_solver: AbstractTreeSolver | None = None,
    dtype=jnp.float64,
    ion_values: Mapping[str, float] | None = None,
    max_delay_ms: float | None = None,
    spike_gradient=None,
) -> System:
    """Lower a cell description (or several cells, simulated together as a forest of cable
    trees) to an immutable :class:`System` for :func:`dendrax.simulate`.

    Args:
        cell: a :class:`dendrax.Cell`, or a sequence of them (cell ``k`` of the System is the
            ``k``-th; record keys must be unique across cells; cells may share one Geometry,
            whose topology is then built once).
        dt_ms: time step (ms), > 0.
        t_stop_ms: end time (ms), an integer multiple of ``dt_ms``.
        method: ``BackwardEuler()`` (default) or ``CrankNicolson()``.
        v_init_mV: initial voltage everywhere (mV); gates start at their steady state.
        celsius: temperature (°C); NEURON's default 6.3 °C.
        tree_solver: ``HinesSequential()`` (default), ``HinesLevels()`` or any
            ``AbstractTreeSolver``.
        dtype: ``jnp.float64`` (default; needs JAX's x64 mode, which ``import dendrax``
            switches on) or ``jnp.float32``.
        ion_values: values of the ion variables that mechanisms read (``ion_reads``), e.g.
            ``{"ena": 55.0, "eca": 120.0}`` (mV; concentrations in mM), the same in every
            compartment; NEURON's defaults (``dendrax.mechanisms.ION_DEFAULTS``) otherwise.
        max_delay_ms: networks only: the longest connection delay (ms) the compiled System
            must hold (default: the longest in the network); give more to train or vary
            delays later without recompiling.
        spike_gradient: networks only: ``None`` (exact; no gradient through spike timing) or
            ``dendrax.SurrogateSpike(slope)`` (same forward pass; gradients flow through
            spikes to the presynaptic voltage).

    A :class:`dendrax.Network` compiles to one System with every cell, synapse and
    connection; its events follow NEURON's fixed-step rules (``NETWORK_FORMAT.md``).
    """
    if isinstance(cell, Network):
        from ._network import lower_network

        options = _options(dt_ms, t_stop_ms, method, v_init_mV, celsius, tree_solver, dtype)
        return lower_network(cell, options, ion_values, max_delay_ms, spike_gradient)
    if max_delay_ms is not None or spike_gradient is not None:
        raise ValueError(
            "max_delay_ms and spike_gradient apply to a dendrax.Network (with connections); "
            "a Cell has no spike events."
        )
    cells = (
        [cell]
        if isinstance(cell, Cell)
        else list(cell)
        if isinstance(cell, (list, tuple))
        else None
    )
    if not cells or not all(isinstance(c, Cell) for c in cells):
        raise TypeError(
            f"compile() takes a dendrax.Cell or a non-empty list of Cells, got "
            f"{type(cell).__name__}."
        )
    options = _options(dt_ms, t_stop_ms, method, v_init_mV, celsius, tree_solver, dtype)
    return lower(cells, options, ion_values)


@dataclasses.dataclass(frozen=True)
class Options:
    dt_ms: float
    n_steps: int
    method: Method
    v_init_mV: float
    celsius: float
    tree_solver: AbstractTreeSolver
    dtype: object


def _options(dt_ms, t_stop_ms, method, v_init_mV, celsius, tree_solver, dtype) -> Options:
    method = BackwardEuler() if method is None else method
    if not isinstance(method, (BackwardEuler, CrankNicolson)):
        raise TypeError(f"method={method!r}: use dendrax.BackwardEuler() or CrankNicolson().")
    tree_solver = HinesSequential() if tree_solver is None else tree_solver
    if not isinstance(tree_solver, AbstractTreeSolver):
        raise TypeError(
            f"tree_solver={tree_solver!r}: use HinesSequential(), HinesLevels() or another "
            "dendrax AbstractTreeSolver."
        )
    if jnp.dtype(dtype) not in (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)):
        raise ValueError(f"dtype={dtype!r}: use jnp.float64 or jnp.float32.")
    require_float64_support(dtype)
    n_steps = n_steps_for(dt_ms, t_stop_ms)
    v_init_mV = _check_number("v_init_mV", v_init_mV)
    celsius = _check_number("celsius", celsius)
    check_run_options(dt_ms=dt_ms, celsius=celsius, v_init_mV=v_init_mV)  # UnitWarning
    return Options(float(dt_ms), n_steps, method, v_init_mV, celsius, tree_solver, dtype)


def lower(
    cells: Sequence[Cell],
    options: Options,
    ion_values: Mapping[str, float] | None,
    batches: Sequence[PointBatch] = (),
    recordings: Callable | None = None,
    stimuli: Sequence = (),
    events: Callable | None = None,
    populations: tuple | None = None,
    gap_junctions: Callable | None = None,
) -> System:
    """The System of ``cells`` (a forest), plus a network's point batches, recordings
    (``recordings(groups, point_position, batch_position) -> [(cell, Recording)]``), stimuli
    ``[(Placement, global compartment)]`` and events (``events(groups, batch_position,
    offsets) -> Events``), populations ``(names, population of every cell)`` and gap
    junctions (``gap_junctions(parent, offsets) -> GapJunctions``)."""
    dt_ms, n_steps, dtype = options.dt_ms, options.n_steps, options.dtype
    tree_solver = options.tree_solver
    sizes = np.asarray([c.n_compartments for c in cells], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_comp = int(offsets[-1])
    parent, halves = build_forest([c.geometry for c in cells])
    schedule = make_schedule(tree_solver, parent)

    topology = Topology(
        parent=ints(parent),
        schedule=ints(schedule),
        half_a_comp=ints(halves[:, 0]),
        half_a_side=ints(halves[:, 1]),
        half_b_comp=ints(halves[:, 2]),
        half_b_side=ints(halves[:, 3]),
    )
    groups, density_position, point_position, batch_position = mechanism_groups(
        cells, offsets, n_comp, dtype, batches
    )
    stim = build_stimuli(cells, offsets, dt_ms, n_steps, groups, point_position, dtype, stimuli)
    recs = (
        cell_recordings(cells)
        if recordings is None
        else recordings(groups, point_position, batch_position)
    )
    ion_values_, pools = build_ions(groups, cells, offsets, ion_values, n_comp, dtype)
    clamps = build_clamps(cells, offsets, dt_ms, n_steps, dtype, stimuli)
    clamp_keys = {
        (comp, p.key): k for k, (p, comp) in enumerate(clamp_placements(cells, offsets, stimuli))
    }
    records = build_records(
        recs, offsets, groups, density_position, point_position, ion_values_, pools, clamp_keys
    )

    def arr(x):
        return jnp.asarray(np.asarray(x, dtype=np.float64), dtype=dtype)

    def per_comp(field):
        return arr(np.concatenate([c.geometry.flat(field) for c in cells]))

    return System(
        n_comp=n_comp,
        n_nodes=int(parent.size),
        n_steps=n_steps,
        n_cells=len(cells),
        method=options.method,
        tree_solver=tree_solver,
        dt_ms=arr(dt_ms),
        v_init_mV=arr(options.v_init_mV),
        celsius=arr(options.celsius),
        length_um=per_comp("length_um"),
        diam_um=per_comp("diam_um"),
        area_scale=per_comp("area_scale"),
        axial_scale_left=per_comp("axial_scale_left"),
        axial_scale_right=per_comp("axial_scale_right"),
        Ra_ohm_cm=arr(np.concatenate([c.Ra_ohm_cm for c in cells])),
        cm_uF_cm2=arr(np.concatenate([c.cm_uF_cm2 for c in cells])),
        topology=topology,
        mechanisms=tuple(groups),
        update_order=update_order(groups),
        ion_values=ion_values_,
        ions=pools,
        clamps=clamps,
        stimuli=stim,
        records=records,
        layout=build_layout(cells, offsets, dtype, populations),
        events=None if events is None else events(groups, batch_position, offsets),
        gap_junctions=None if gap_junctions is None else gap_junctions(parent, offsets),
    )
