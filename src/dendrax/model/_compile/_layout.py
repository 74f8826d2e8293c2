"""The Layout: where every compartment lies (cell, branch, region, distance), as arrays."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ...solve._system import Layout
from .._cell import Cell
from ._arrays import ints


def build_layout(
    cells: Sequence[Cell], offsets: np.ndarray, dtype, populations: tuple | None = None
) -> Layout:
    """``populations``: ``(names, population index of every cell)`` of a network. Per-cell
    arrays are computed once per distinct Geometry (network cells share their template's)."""
    per_geometry: dict[int, dict] = {}
    for c in cells:
        g = c.geometry
        if id(g) not in per_geometry:
            per_geometry[id(g)] = {
                "kinds": np.asarray([str(k) for k in g.kinds()]),
                "branch": np.asarray(g.branch_of_compartment()),
                "distance": np.asarray(g.path_distance_um()),
                "offsets": np.asarray(g.offsets),
                "ncomp": np.asarray(g.ncomp),
            }
    geo = [per_geometry[id(c.geometry)] for c in cells]
    region_names = sorted({str(k) for d in per_geometry.values() for k in np.unique(d["kinds"])})
    code = {name: i for i, name in enumerate(region_names)}
    lookup = {
        key: np.asarray([code[k] for k in d["kinds"]], dtype=np.int64)
        for key, d in per_geometry.items()
    }
    group_names = sorted({g for c in cells for g in c.groups})
    n_branches = np.asarray([c.geometry.n_branches for c in cells], dtype=np.int64)
    branch_offset = np.concatenate([[0], np.cumsum(n_branches)])
    members = {
        g: np.concatenate(
            [c.groups[g] + offsets[i] for i, c in enumerate(cells) if g in c.groups]
        ).astype(np.int64)
        for g in group_names
    }

    return Layout(
        region_names=tuple(region_names),
        group_names=tuple(group_names),
        cell_of_comp=ints(np.repeat(np.arange(len(cells)), np.diff(offsets))),
        branch_of_comp=ints(np.concatenate([d["branch"] for d in geo])),
        region_of_comp=ints(np.concatenate([lookup[id(c.geometry)] for c in cells])),
        distance_um=jnp.asarray(np.concatenate([d["distance"] for d in geo]), dtype=dtype),
        comp_offset=ints(offsets),
        branch_offset=ints(branch_offset),
        branch_first_comp=ints(
            np.concatenate([d["offsets"] + offsets[i] for i, d in enumerate(geo)])
        ),
        branch_ncomp=ints(np.concatenate([d["ncomp"] for d in geo])),
        group_members=tuple(ints(members[g]) for g in group_names),
        population_names=() if populations is None else tuple(populations[0]),
        population_of_cell=None if populations is None else ints(populations[1]),
    )
