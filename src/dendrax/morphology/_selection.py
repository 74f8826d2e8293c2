"""Selections of compartments (concrete and declarative regions) and locations on cells."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Selection:
    """A concrete set of compartments of one cell, as sorted flat compartment indices.

    Made by :meth:`dendrax.Cell.select`; combine with ``|`` (union), ``&`` (intersection) and
    ``-`` (difference).
    """

    indices: np.ndarray
    description: str = ""
    cell: int | None = None  # the cell in a compiled System of several (None: a single cell)

    def __post_init__(self) -> None:
        idx = np.unique(np.asarray(self.indices, dtype=np.int64))
        object.__setattr__(self, "indices", idx)

    def in_cell(self, cell: int) -> Selection:
        """The same compartments of cell ``cell`` of a compiled System of several cells."""
        return Selection(self.indices, self.description, int(cell))

    def _combine(self, other: Selection, indices: np.ndarray, op: str) -> Selection:
        if not isinstance(other, Selection):
            return NotImplemented
        if self.cell != other.cell:
            raise ValueError(
                f"Cannot combine selections of cell {self.cell} and cell {other.cell}; use a "
                "dendrax.Region for regions across cells."
            )
        return Selection(indices, f"({self.description} {op} {other.description})", self.cell)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __or__(self, other: Selection) -> Selection:
        return self._combine(other, np.union1d(self.indices, other.indices), "|")

    def __and__(self, other: Selection) -> Selection:
        return self._combine(other, np.intersect1d(self.indices, other.indices), "&")

    def __sub__(self, other: Selection) -> Selection:
        return self._combine(other, np.setdiff1d(self.indices, other.indices), "-")


@dataclasses.dataclass(frozen=True)
class Location:
    """A point on a cell: ``branch`` index and ``x`` in [0, 1] along it.

    It means the whole compartment that contains ``x`` (NEURON's segment rule). ``cell`` is the
    cell's index in a compiled System of several cells (0 for a single cell).
    """

    branch: int
    x: float = 0.5
    cell: int = 0


@dataclasses.dataclass(frozen=True)
class Region:
    """A declarative region: the compartments matching every given criterion, resolved against
    whatever it is applied to (a :class:`dendrax.Cell`, or every cell of a compiled System: a
    ``Region(kind="soma")`` is the soma of every cell built from a template).

    Args:
        kind: region label(s): "soma", "axon", "basal", "apical" or a custom label.
        branches: branch indices (within each cell).
        distance_um: ``(lo, hi)``: path distance from the cell's root centre, lo <= d <= hi (µm).
        group: name of a group made with :meth:`dendrax.Cell.add_group`.
        cells: cell indices of a compiled System (default: every cell).
    """

    kind: str | tuple[str, ...] | None = None
    branches: tuple[int, ...] | None = None
    distance_um: tuple[float, float] | None = None
    group: str | None = None
    cells: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.kind, list):
            object.__setattr__(self, "kind", tuple(self.kind))
        for f in ("branches", "cells"):
            value = getattr(self, f)
            if value is not None:
                object.__setattr__(self, f, tuple(int(b) for b in np.atleast_1d(value)))
        if self.distance_um is not None:
            lo, hi = self.distance_um
            if not lo <= hi:
                raise ValueError(f"Region(distance_um={self.distance_um}): need lo <= hi (µm).")

    def describe(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self)
                 if getattr(self, f.name) is not None]  # fmt: skip
        return ", ".join(parts) or "all"

    def mask(
        self,
        kinds: np.ndarray,
        branch_of: np.ndarray,
        n_branches: np.ndarray | int,
        distance_um: np.ndarray,
        groups: dict[str, np.ndarray],
        cell_of: np.ndarray | None = None,
        n_cells: int = 1,
    ) -> np.ndarray:
        """Boolean mask over compartments described by per-compartment arrays (NumPy)."""
        n = kinds.size
        mask = np.ones(n, dtype=bool)
        if self.kind is not None:
            wanted = [self.kind] if isinstance(self.kind, str) else list(self.kind)
            have = set(np.unique(kinds).tolist())
            unknown = [k for k in wanted if k not in have]
            if unknown:
                raise ValueError(
                    f"Region(kind={self.kind!r}): there is no region {unknown}; the regions are "
                    f"{sorted(have)}."
                )
            mask &= np.isin(kinds, wanted)
        if self.branches is not None:
            wanted_b = np.asarray(self.branches, dtype=np.int64)
            limit = int(np.min(n_branches))
            bad = wanted_b[(wanted_b < 0) | (wanted_b >= limit)]
            if bad.size:
                raise ValueError(
                    f"Region(branches=...): branch {int(bad[0])} does not exist; valid "
                    f"branches are 0..{limit - 1}."
                )
            mask &= np.isin(branch_of, wanted_b)
        if self.distance_um is not None:
            lo, hi = self.distance_um
            mask &= (distance_um >= lo) & (distance_um <= hi)
        if self.group is not None:
            if self.group not in groups:
                raise ValueError(
                    f"Region(group={self.group!r}): no such group; groups are {sorted(groups)}. "
                    "Create it with cell.add_group(name, selection)."
                )
            gmask = np.zeros(n, dtype=bool)
            gmask[groups[self.group]] = True
            mask &= gmask
        if self.cells is not None:
            cells = np.asarray(self.cells, dtype=np.int64)
            bad = cells[(cells < 0) | (cells >= n_cells)]
            if bad.size:
                raise ValueError(
                    f"Region(cells=...): cell {int(bad[0])} does not exist; valid cells are "
                    f"0..{n_cells - 1}."
                )
            mask &= np.isin(np.zeros(n, np.int64) if cell_of is None else cell_of, cells)
        return mask
