"""Mechanism groups: every instance of one mechanism class across all cells, vectorised."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import jax.numpy as jnp
import numpy as np

from ...mechanisms._base import Mechanism
from ...solve._system import MechanismGroup
from .._cell import Cell


def _check_names(types: Sequence[type[Mechanism]]) -> None:
    names = [t.name for t in types]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(
            f"Two different mechanism classes share the name(s) {dup}; rename one (the class "
            "attribute `name`)."
        )


@dataclasses.dataclass(frozen=True)
class PointBatch:
    """Many instances of one point mechanism placed at once (a network's synapses):
    ``compartments`` are global, ``params`` hold one value per instance; for a presynaptic
    (graded) mechanism, ``pre_compartments`` are the global compartments whose voltage each
    instance reads (``params["v_pre"]``), None otherwise."""

    mechanism_type: type[Mechanism]
    compartments: np.ndarray  # (n,) int, global compartment index
    params: Mapping[str, np.ndarray]  # each (n,)
    receives_events: bool
    pre_compartments: np.ndarray | None = None  # (n,) int, global; presynaptic mechanisms only


def _check_presynaptic(mtype: type[Mechanism], placed: list, batches: Sequence[PointBatch]) -> bool:
    """Whether ``mtype`` reads a presynaptic voltage; raises where an instance of it has no
    presynaptic location (placed on a cell with ``cell.place``) or a non-presynaptic one has."""
    presynaptic = bool(getattr(mtype, "presynaptic", False))
    if presynaptic and placed:
        _, p = placed[0]
        raise ValueError(
            f"cell.place({type(p.mechanism).__name__}(...), key={p.key!r}): "
            f"{mtype.__name__} is a graded synapse that reads a presynaptic voltage, and a "
            "point placed on a cell has no presynaptic location. Connect it in a network: "
            "network.connect_graded(pre, post, synapse, at_pre=(branch, x), at_post=...)."
        )
    for b in batches:
        if b.mechanism_type is not mtype:
            continue
        if presynaptic and b.pre_compartments is None:
            raise ValueError(
                f"{mtype.__name__} is a graded synapse that reads a presynaptic voltage; "
                "network.place() gives it none. Use network.connect_graded(pre, post, "
                "synapse, at_pre=(branch, x), at_post=...) instead."
            )
        if not presynaptic and b.pre_compartments is not None:
            raise ValueError(
                f"{mtype.__name__} does not read a presynaptic voltage (its class attribute "
                "`presynaptic` is False), yet it was given presynaptic locations; connect it "
                "with network.connect() / connect_cells(), or set presynaptic = True."
            )
    return presynaptic


def mechanism_groups(
    cells: Sequence[Cell],
    offsets: np.ndarray,
    n_comp: int,
    dtype,
    batches: Sequence[PointBatch] = (),
) -> tuple[list[MechanismGroup], dict, dict, list]:
    """Group insertions by class (later insertions override earlier values where they overlap)
    and point placements by class (one site per instance, sites may repeat).

    Returns ``(groups, density_position, point_position, batch_position)``:
    ``density_position[name] = (group, pos)`` with ``pos[comp]`` the site of every compartment
    (-1: not inserted); ``point_position[key] = (group, site)`` for every placed instance (key
    per cell); ``batch_position[b] = (group, sites)`` for every batch (its sites follow the
    cells' own instances of that class, in order).
    """
    density: dict[type[Mechanism], list] = {}
    points: dict[type[Mechanism], list] = {}
    for c, cell in enumerate(cells):
        for ins in cell.insertions:
            density.setdefault(type(ins.channel), []).append((c, ins))
        for p in cell.points:
            points.setdefault(type(p.mechanism), []).append((c, p))
    for b in batches:
        points.setdefault(b.mechanism_type, [])
    _check_names(list(density) + list(points))
    groups: list[MechanismGroup] = []
    density_position: dict[str, tuple[int, np.ndarray]] = {}
    for mtype, inserts in density.items():
        mask = np.zeros(n_comp, dtype=bool)
        values = {p: np.zeros(n_comp) for p in mtype.parameters}
        for c, ins in inserts:
            idx = ins.indices + offsets[c]
            mask[idx] = True
            for p, val in ins.parameter_values().items():  # uniform or per compartment
                values[p][idx] = val
        comps = np.flatnonzero(mask)
        pos = np.full(n_comp, -1, dtype=np.int64)
        pos[comps] = np.arange(comps.size)
        density_position[mtype.name] = (len(groups), pos)
        covers_all = bool(comps.size == n_comp)
        site_of = np.where(pos >= 0, pos, comps.size + np.arange(n_comp))
        groups.append(
            MechanismGroup(
                mechanism_type=mtype,
                covers_all=covers_all,
                receives_events=False,
                compartments=jnp.asarray(comps, dtype=jnp.int32),
                params={p: jnp.asarray(v[comps], dtype=dtype) for p, v in values.items()},
                site_of=None if covers_all else jnp.asarray(site_of, dtype=jnp.int32),
            )
        )
    point_position: dict[tuple[int, str], tuple[int, int]] = {}
    batch_position: list = [None] * len(batches)
    for mtype, placed in points.items():
        gi = len(groups)
        sites: list[np.ndarray] = [
            np.asarray([p.compartment + offsets[c] for c, p in placed], dtype=np.int64)
        ]
        params = {
            k: [np.asarray([p.mechanism.values[k] for _, p in placed], dtype=np.float64)]
            for k in mtype.parameters
        }
        for site, (c, p) in enumerate(placed):
            point_position[(c, p.key)] = (gi, site)
        events = any(p.events is not None for _, p in placed)
        presynaptic = _check_presynaptic(mtype, placed, batches)
        pre_sites: list[np.ndarray] = []
        n = len(placed)
        for bi, batch in enumerate(batches):
            if batch.mechanism_type is not mtype:
                continue
            batch_position[bi] = (gi, np.arange(n, n + batch.compartments.size))
            n += batch.compartments.size
            sites.append(np.asarray(batch.compartments, dtype=np.int64))
            if batch.pre_compartments is not None:
                pre_sites.append(np.asarray(batch.pre_compartments, dtype=np.int64))
            for k in mtype.parameters:
                params[k].append(np.asarray(batch.params[k], dtype=np.float64))
            events = events or batch.receives_events
        groups.append(
            MechanismGroup(
                mechanism_type=mtype,
                covers_all=False,
                receives_events=events,
                compartments=jnp.asarray(np.concatenate(sites), dtype=jnp.int32),
                params={k: jnp.asarray(np.concatenate(v), dtype=dtype) for k, v in params.items()},
                pre_compartments=(
                    jnp.asarray(np.concatenate([np.zeros(0, np.int64), *pre_sites]), jnp.int32)
                    if presynaptic
                    else None
                ),
            )
        )
    return groups, density_position, point_position, batch_position
