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
    """``populations``: ``(names, population index of every cell)`` of a network."""
    kinds = [c.geometry.kinds() for c in cells]
    region_names = sorted({str(k) for ks in kinds for k in np.unique(ks).tolist()})
    code = {name: i for i, name in enumerate(region_names)}
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
        branch_of_comp=ints(np.concatenate([c.geometry.branch_of_compartment() for c in cells])),
        region_of_comp=ints(np.concatenate([[code[str(k)] for k in ks] for ks in kinds])),
        distance_um=jnp.asarray(
            np.concatenate([c.geometry.path_distance_um() for c in cells]), dtype=dtype
        ),
        comp_offset=ints(offsets),
        branch_offset=ints(branch_offset),
        branch_first_comp=ints(
            np.concatenate(
                [np.asarray(c.geometry.offsets) + offsets[i] for i, c in enumerate(cells)]
            )  # fmt: skip
        ),
        branch_ncomp=ints(np.concatenate([np.asarray(c.geometry.ncomp) for c in cells])),
        group_members=tuple(ints(members[g]) for g in group_names),
        population_names=() if populations is None else tuple(populations[0]),
        population_of_cell=None if populations is None else ints(populations[1]),
    )
