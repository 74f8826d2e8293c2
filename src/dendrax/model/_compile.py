"""Lower a :class:`Cell` description to an immutable :class:`System` (runs once, in NumPy)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from ..mechanisms._channel import Channel
from ..morphology._geometry import Geometry
from ..solve._methods import BackwardEuler, CrankNicolson, Method
from ..solve._tree import (
    HinesLevels,
    HinesSequential,
    TreeSolver,
    make_schedule,
    reroot_at_center,
)
from ._cell import Cell
from ._stimuli import step_midpoints
from ._system import MechanismGroup, RecordSpec, Stimuli, System, Topology


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


def build_topology(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Parent of every node and the two compartment halves of every edge.

    Returns ``parent`` (n_nodes,) and ``halves`` (n_nodes, 4): comp_a, side_a, comp_b, side_b.
    Junction nodes (zero area) are created at branch ends (x=0 of the root, x=1 of any branch)
    that carry children; other attachment points are compartment nodes.
    """
    offsets = geometry.offsets
    ncomp = geometry.ncomp
    n_comp = geometry.n_compartments
    branches = geometry.branches
    junction: dict[tuple[int, int], int] = {}
    for b in branches[1:]:
        if b.parent_x == 1.0:
            junction.setdefault((b.parent, 1), -1)
        elif b.parent_x == 0.0 and b.parent == 0:
            junction.setdefault((0, 0), -1)
    for i, key in enumerate(sorted(junction)):
        junction[key] = n_comp + i
    n_nodes = n_comp + len(junction)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    halves = np.full((n_nodes, 4), -1, dtype=np.int64)
    halves[:, 1] = 0
    halves[:, 3] = 0

    def attachment(branch: int, x: float) -> int:
        if x == 1.0 or (x == 0.0 and branch == 0):
            return junction[(branch, int(x))]
        if x == 0.0:  # the x=0 end of a non-root branch is its own attachment node
            b = branches[branch]
            return attachment(b.parent, b.parent_x)
        return int(offsets[branch] + min(int(np.floor(x * ncomp[branch])), ncomp[branch] - 1))

    for k, b in enumerate(branches):
        first = offsets[k]
        for c in range(1, b.ncomp):  # inside the branch: right half of c-1 + left half of c
            parent[first + c] = first + c - 1
            halves[first + c] = (first + c, 0, first + c - 1, 1)
        if k > 0:
            parent[first] = attachment(b.parent, b.parent_x)
            halves[first] = (first, 0, -1, 0)
    for (k, end), node in junction.items():
        edge_comp = offsets[k] + (ncomp[k] - 1 if end == 1 else 0)
        parent[node] = edge_comp
        halves[node] = (edge_comp, end, -1, 0)
    # Root the tree at its centre: the same matrix, but chains are eliminated from both ends
    # towards the middle, which halves the rows of the level-scheduled solver on cables.
    parent, owner = reroot_at_center(parent)
    halves = np.where((owner >= 0)[:, None], halves[np.maximum(owner, 0)], [-1, 0, -1, 0])
    return parent, halves


def _mechanism_groups(cell: Cell, dtype) -> tuple[list[MechanismGroup], dict]:
    """Group insertions by channel type; later insertions override earlier parameter values."""
    by_type: dict[type[Channel], list] = {}
    for ins in cell.insertions:
        by_type.setdefault(type(ins.channel), []).append(ins)
    names = [t.name for t in by_type]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"Two different channel classes share the name(s) {sorted(dup)}.")
    groups, position = [], {}
    n = cell.n_compartments
    for gi, (ctype, inserts) in enumerate(by_type.items()):
        mask = np.zeros(n, dtype=bool)
        values = {p: np.zeros(n) for p in ctype.parameters}
        for ins in inserts:
            mask[ins.indices] = True
            for p, val in ins.channel.values.items():
                values[p][ins.indices] = val
        comps = np.flatnonzero(mask)
        pos = np.full(n, -1, dtype=np.int64)
        pos[comps] = np.arange(comps.size)
        position[ctype.name] = (gi, pos)
        groups.append(
            MechanismGroup(
                channel_type=ctype,
                covers_all=bool(comps.size == n),
                compartments=jnp.asarray(comps, dtype=jnp.int32),
                params={p: jnp.asarray(v[comps], dtype=dtype) for p, v in values.items()},
            )
        )
    return groups, position


def _record_spec(cell: Cell, position: dict, groups: list[MechanismGroup]) -> RecordSpec:
    keys, sources, positions = [], [], []
    for rec in cell.recordings:
        keys.append(rec.key)
        if rec.variable == "v":
            sources.append(("v", -1, ""))
            positions.append(jnp.asarray(rec.compartment, dtype=jnp.int32))
            continue
        candidates = [
            name
            for name, (gi, pos) in position.items()
            if pos[rec.compartment] >= 0 and rec.variable in groups[gi].channel_type.states
        ]
        if rec.mechanism is not None:
            if rec.mechanism not in position:
                raise ValueError(
                    f"record {rec.key!r}: mechanism {rec.mechanism!r} is not inserted anywhere; "
                    f"inserted mechanisms are {sorted(position)}."
                )
            candidates = [c for c in candidates if c == rec.mechanism]
        if len(candidates) != 1:
            where = "none" if not candidates else f"several ({candidates})"
            raise ValueError(
                f"record {rec.key!r}: variable {rec.variable!r} at compartment {rec.compartment} "
                f"matches {where} of the mechanisms there. Record 'v' or a state of a mechanism "
                "inserted at that location, and pass mechanism=... if the name is ambiguous."
            )
        gi, pos = position[candidates[0]]
        sources.append(("state", gi, rec.variable))
        positions.append(jnp.asarray(pos[rec.compartment], dtype=jnp.int32))
    return RecordSpec(keys=tuple(keys), sources=tuple(sources), positions=tuple(positions))


def compile(  # noqa: A001 - the natural name; dendrax.compile mirrors "compile the model"
    cell: Cell,
    dt_ms: float = 0.025,
    t_stop_ms: float = 100.0,
    *,
    method: Method | None = None,
    v_init_mV: float = -65.0,
    celsius: float = 6.3,
    tree_solver: TreeSolver | None = None,
    dtype=jnp.float64,
) -> System:
    """Lower a cell description to an immutable :class:`System` for :func:`dendrax.simulate`.

    Args:
        cell: the description.
        dt_ms: time step (ms), > 0.
        t_stop_ms: end time (ms), an integer multiple of ``dt_ms``.
        method: ``BackwardEuler()`` (default) or ``CrankNicolson()``.
        v_init_mV: initial voltage everywhere (mV); gates start at their steady state.
        celsius: temperature (°C).
        tree_solver: ``HinesSequential()`` (default) or ``HinesLevels()``.
        dtype: ``jnp.float64`` (default) or ``jnp.float32``.
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"compile() takes a dendrax.Cell, got {type(cell).__name__}.")
    method = BackwardEuler() if method is None else method
    if not isinstance(method, (BackwardEuler, CrankNicolson)):
        raise TypeError(f"method={method!r}: use dendrax.BackwardEuler() or CrankNicolson().")
    tree_solver = HinesSequential() if tree_solver is None else tree_solver
    if not isinstance(tree_solver, (HinesSequential, HinesLevels)):
        raise TypeError(f"tree_solver={tree_solver!r}: use HinesSequential() or HinesLevels().")
    if jnp.dtype(dtype) not in (jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)):
        raise ValueError(f"dtype={dtype!r}: use jnp.float64 or jnp.float32.")
    n_steps = n_steps_for(dt_ms, t_stop_ms)
    v_init_mV = _check_number("v_init_mV", v_init_mV)
    celsius = _check_number("celsius", celsius)

    geometry = cell.geometry
    parent, halves = build_topology(geometry)
    schedule = make_schedule(tree_solver, parent)
    topology = Topology(
        parent=jnp.asarray(parent, dtype=jnp.int32),
        schedule=jnp.asarray(schedule, dtype=jnp.int32),
        half_a_comp=jnp.asarray(halves[:, 0], dtype=jnp.int32),
        half_a_side=jnp.asarray(halves[:, 1], dtype=jnp.int32),
        half_b_comp=jnp.asarray(halves[:, 2], dtype=jnp.int32),
        half_b_side=jnp.asarray(halves[:, 3], dtype=jnp.int32),
    )
    groups, position = _mechanism_groups(cell, dtype)

    t_mid = step_midpoints(dt_ms, n_steps)
    sites = sorted({p.compartment for p in cell.placements})
    current = np.zeros((n_steps, len(sites)))
    for p in cell.placements:
        current[:, sites.index(p.compartment)] += p.stimulus.at(t_mid)
    stimuli = Stimuli(
        compartment=jnp.asarray(np.asarray(sites, dtype=np.int64), dtype=jnp.int32),
        current_nA=jnp.asarray(current, dtype=dtype),
    )

    def arr(x):
        return jnp.asarray(np.asarray(x, dtype=np.float64), dtype=dtype)

    return System(
        n_comp=geometry.n_compartments,
        n_nodes=int(parent.size),
        n_steps=n_steps,
        method=method,
        tree_solver=tree_solver,
        branch_names=tuple(b.name for b in geometry.branches),
        dt_ms=arr(dt_ms),
        v_init_mV=arr(v_init_mV),
        celsius=arr(celsius),
        length_um=arr(geometry.flat("length_um")),
        diam_um=arr(geometry.flat("diam_um")),
        area_scale=arr(geometry.flat("area_scale")),
        axial_scale_left=arr(geometry.flat("axial_scale_left")),
        axial_scale_right=arr(geometry.flat("axial_scale_right")),
        Ra_ohm_cm=arr(cell.Ra_ohm_cm),
        cm_uF_cm2=arr(cell.cm_uF_cm2),
        topology=topology,
        mechanisms=tuple(groups),
        stimuli=stimuli,
        records=_record_spec(cell, position, groups),
    )
