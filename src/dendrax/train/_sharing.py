"""How the values of a trainable are shared among the compartments it covers (objects).

Applied to synapse and connection quantities, these sharings read the compartment of every
synapse (of a connection: of its postsynaptic synapse); see ``_network_sharing`` for the
sharings of synapses and connections themselves.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

import numpy as np

from ..morphology._selection import Region, Selection
from ..solve._system import System
from ._site_where import site_mask
from ._sites import Sites


class Sharing(abc.ABC):
    """Maps every covered compartment to a group; one trainable value per group."""

    @abc.abstractmethod
    def labels(self, system: System, comps: np.ndarray, name: str) -> tuple[np.ndarray, tuple]:
        """Group index of every compartment in ``comps`` and a name for every group."""

    def labels_at(self, system: System, sites: Sites, name: str) -> tuple[np.ndarray, tuple]:
        """Group index of every position in ``sites`` (compartments, synapses or connections)
        and a name for every group; by default :meth:`labels` of their compartments."""
        return self.labels(system, sites.compartments, name)


def _by_key(keys: np.ndarray, prefix: str) -> tuple[np.ndarray, tuple[str, ...]]:
    unique, labels = np.unique(keys, return_inverse=True)
    return labels.astype(np.int64), tuple(f"{prefix}{k}" for k in unique)


def _cell_prefix(system: System, comps: np.ndarray) -> np.ndarray | None:
    if system.n_cells == 1:
        return None
    return np.asarray(system.layout.cell_of_comp)[comps]


@dataclasses.dataclass(frozen=True)
class Shared(Sharing):
    """One value for every covered compartment (of every cell)."""

    def labels(self, system, comps, name):
        return np.zeros(comps.size, dtype=np.int64), ("shared",)


@dataclasses.dataclass(frozen=True)
class PerCompartment(Sharing):
    """One value per covered compartment."""

    def labels(self, system, comps, name):
        return _by_key(comps, "compartment ")


@dataclasses.dataclass(frozen=True)
class PerRegion(Sharing):
    """One value per region label (soma, axon, basal, apical, ...), shared across cells."""

    def labels(self, system, comps, name):
        names = np.asarray(system.layout.region_names, dtype=object)
        return _by_key(names[np.asarray(system.layout.region_of_comp)[comps]], "")


@dataclasses.dataclass(frozen=True)
class PerBranch(Sharing):
    """One value per branch touched (per cell: branch k of cell 0 and of cell 1 differ)."""

    def labels(self, system, comps, name):
        branch = np.asarray(system.layout.branch_of_comp)[comps]
        cells = _cell_prefix(system, comps)
        if cells is None:
            return _by_key(branch, "branch ")
        keys = np.asarray(system.layout.branch_offset)[cells] + branch
        labels, _ = _by_key(keys, "")
        first = np.unique(labels, return_index=True)[1]
        return labels, tuple(f"cell {cells[i]} branch {branch[i]}" for i in first)


@dataclasses.dataclass(frozen=True)
class PerCell(Sharing):
    """One value per cell."""

    def labels(self, system, comps, name):
        return _by_key(np.asarray(system.layout.cell_of_comp)[comps], "cell ")


@dataclasses.dataclass(frozen=True)
class PerPopulation(Sharing):
    """One value per population of a network (``network.add_cells(..., name=...)``); for a
    connection quantity, the population of the postsynaptic cell."""

    def labels(self, system, comps, name):
        of_cell = system.layout.population_of_cell
        if of_cell is None or not system.layout.population_names:
            raise ValueError(
                f"Trainable {name!r}: PerPopulation() needs a System compiled from a "
                "dendrax.Network (populations come from network.add_cells(..., name=...))."
            )
        names = np.asarray(system.layout.population_names, dtype=object)
        cells = np.asarray(system.layout.cell_of_comp)[comps]
        return _by_key(names[np.asarray(of_cell)[cells]], "")


@dataclasses.dataclass(frozen=True)
class Grouping(Sharing):
    """One value per given selection (they must not overlap; their union must hold every
    position where the quantity is trained).

    For compartments, the selections are Selections or Regions. For a synapse quantity they may
    also be :class:`dendrax.Connections` (the synapses those connections reach); for a connection
    quantity, connection names (strings), ``Connections(...)``, ConnectionSets (from
    ``network.connect``), or Regions/Selections of the postsynaptic compartment.
    """

    groups: tuple[Any, ...]

    def labels(self, system, comps, name):
        return self.labels_at(system, Sites("compartment", np.asarray(comps)), name)

    def labels_at(self, system, sites, name):
        keys = np.full(sites.compartments.size, -1)
        for g, sel in enumerate(self.groups):
            if sites.kind == "compartment" and not isinstance(sel, (Selection, Region)):
                raise TypeError(
                    f"Trainable {name!r}: Grouping.groups[{g}] is {sel!r}; give selections "
                    "made with cell.select(...) or dendrax.Region(...)."
                )
            hit = site_mask(system, sites, sel, f"Trainable {name!r}: Grouping.groups[{g}]")
            if not np.any(hit):
                raise ValueError(
                    f"Trainable {name!r}: Grouping.groups[{g}] contains none of the "
                    f"{sites.what} where this quantity is trained (`where`, or where the "
                    "mechanism is); drop that group or widen it."
                )
            if np.any(keys[hit] >= 0):
                raise ValueError(f"Trainable {name!r}: the Grouping's selections overlap.")
            keys[hit] = g
        if np.any(keys < 0):
            raise ValueError(
                f"Trainable {name!r}: {int(np.sum(keys < 0))} selected {sites.what} are in "
                "no group of the Grouping; add a group for them or narrow `where`."
            )
        return _by_key(keys, "group ")
