"""Selections of compartments (regions) and locations on a cell."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Selection:
    """A set of compartments of one cell, as sorted flat compartment indices.

    Made by :meth:`dendrax.Cell.select`; combine with ``|`` (union), ``&`` (intersection) and
    ``-`` (difference).
    """

    indices: np.ndarray
    description: str = ""

    def __post_init__(self) -> None:
        idx = np.unique(np.asarray(self.indices, dtype=np.int64))
        object.__setattr__(self, "indices", idx)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __or__(self, other: Selection) -> Selection:
        return Selection(
            np.union1d(self.indices, other.indices), f"({self.description} | {other.description})"
        )

    def __and__(self, other: Selection) -> Selection:
        return Selection(
            np.intersect1d(self.indices, other.indices),
            f"({self.description} & {other.description})",
        )

    def __sub__(self, other: Selection) -> Selection:
        return Selection(
            np.setdiff1d(self.indices, other.indices),
            f"({self.description} - {other.description})",
        )


@dataclasses.dataclass(frozen=True)
class Location:
    """A point on a cell: ``branch`` index and ``x`` in [0, 1] along it.

    It means the whole compartment that contains ``x`` (NEURON's segment rule).
    """

    branch: int
    x: float = 0.5
