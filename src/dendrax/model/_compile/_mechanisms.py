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
    ``compartments`` are global, ``params`` hold one value per instance."""

    mechanism_type: type[Mechanism]
    compartments: np.ndarray  # (n,) int, global compartment index
    params: Mapping[str, np.ndarray]  # each (n,)
    receives_events: bool


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
            for p, val in ins.channel.values.items():
                values[p][idx] = val
        comps = np.flatnonzero(mask)
        pos = np.full(n_comp, -1, dtype=np.int64)
        pos[comps] = np.arange(comps.size)
        density_position[mtype.name] = (len(groups), pos)
        groups.append(
            MechanismGroup(
                mechanism_type=mtype,
                covers_all=bool(comps.size == n_comp),
                receives_events=False,
                compartments=jnp.asarray(comps, dtype=jnp.int32),
                params={p: jnp.asarray(v[comps], dtype=dtype) for p, v in values.items()},
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
        n = len(placed)
        for bi, batch in enumerate(batches):
            if batch.mechanism_type is not mtype:
                continue
            batch_position[bi] = (gi, np.arange(n, n + batch.compartments.size))
            n += batch.compartments.size
            sites.append(np.asarray(batch.compartments, dtype=np.int64))
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
            )
        )
    return groups, density_position, point_position, batch_position
