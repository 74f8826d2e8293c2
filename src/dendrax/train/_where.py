"""Resolve ``where`` (a region name, a dendrax.Region, a Selection or None) against the
System's Layout, for any number of cells."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..morphology._selection import Region, Selection
from ..solve._system import Layout, System


def layout_arrays(layout: Layout) -> dict[str, Any]:
    names = np.asarray(layout.region_names, dtype=object)
    return {
        "kinds": names[np.asarray(layout.region_of_comp)] if names.size else np.array([]),
        "branch_of": np.asarray(layout.branch_of_comp),
        "n_branches": np.diff(np.asarray(layout.branch_offset)),
        "distance_um": np.asarray(layout.distance_um),
        "groups": {g: np.asarray(m) for g, m in zip(layout.group_names, layout.group_members)},
        "cell_of": np.asarray(layout.cell_of_comp),
    }


def region_compartments(system: System, region: Region) -> np.ndarray:
    a = layout_arrays(system.layout)
    mask = region.mask(
        a["kinds"], a["branch_of"], a["n_branches"], a["distance_um"], a["groups"],
        cell_of=a["cell_of"], n_cells=system.n_cells,
    )  # fmt: skip
    return np.flatnonzero(mask)


def selection_compartments(system: System, sel: Selection) -> np.ndarray:
    cell = sel.cell
    if cell is None:
        if system.n_cells != 1:
            raise ValueError(
                f"The selection {sel.description!r} belongs to one cell, but the System has "
                f"{system.n_cells} cells: say which with selection.in_cell(k), or use a "
                "dendrax.Region (applies to every cell)."
            )
        cell = 0
    offsets = np.asarray(system.layout.comp_offset)
    if not 0 <= cell < system.n_cells:
        raise ValueError(f"Selection.cell={cell}: the System has cells 0..{system.n_cells - 1}.")
    size = offsets[cell + 1] - offsets[cell]
    idx = sel.indices
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError("The selection does not belong to this cell (index out of range).")
    return idx + offsets[cell]


def where_compartments(system: System, where: Any) -> np.ndarray:
    """Global compartment indices of ``where`` (sorted)."""
    if where is None or (isinstance(where, str) and where == "all"):
        return np.arange(system.n_comp)
    if isinstance(where, str):
        if where in system.layout.group_names:
            return region_compartments(system, Region(group=where))
        return region_compartments(system, Region(kind=where))
    if isinstance(where, Region):
        return region_compartments(system, where)
    if isinstance(where, Selection):
        return selection_compartments(system, where)
    raise TypeError(
        f"where={where!r}: expected a region name, a dendrax.Region, a Selection "
        "(cell.select(...)) or None."
    )
