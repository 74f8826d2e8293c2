"""What the positions of a located quantity are: compartments, synapses (point-mechanism
instances) or connections. Sharing and ``where`` read this table (NumPy, once, from the System).

Every position has a compartment (for a connection: the compartment of its postsynaptic
synapse), so the cell sharings (``PerCell``, ``PerRegion``, ...) apply to synapses and
connections too; synapse and connection positions carry more (the synapse, the connection's
name, presynaptic and postsynaptic cell and population).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..solve._system import System

SOURCE_POPULATION = "source"  # the presynaptic population of a connection from a source


@dataclasses.dataclass(frozen=True)
class ConnectionTable:
    """One row per connection of a System, inbox by inbox (the order of the concatenated
    ``System.events.inboxes[k].weight_uS``)."""

    conn_id: np.ndarray  # global connection id (ConnectionSet.ids)
    label: np.ndarray  # index into names (the connect() call's name)
    pre_cell: np.ndarray  # -1 for a source
    pre_source: np.ndarray  # -1 for a cell
    post_cell: np.ndarray
    group: np.ndarray  # mechanism group of the postsynaptic synapse
    site: np.ndarray  # its site in that group
    compartment: np.ndarray  # its compartment
    pre_population: np.ndarray  # index into populations; -1 for a source
    post_population: np.ndarray
    names: tuple[str, ...]  # System.events.connection_names
    populations: tuple[str, ...]  # System.layout.population_names

    def take(self, positions: np.ndarray) -> ConnectionTable:
        rows = {
            f.name: getattr(self, f.name)[positions]
            for f in dataclasses.fields(self)
            if f.name not in ("names", "populations")
        }
        return ConnectionTable(**rows, names=self.names, populations=self.populations)

    def pre_population_names(self) -> np.ndarray:
        names = np.asarray(self.populations + (SOURCE_POPULATION,), dtype=object)
        return names[self.pre_population]  # -1 picks SOURCE_POPULATION

    def post_population_names(self) -> np.ndarray:
        return np.asarray(self.populations, dtype=object)[self.post_population]


def _populations(system: System, cells: np.ndarray) -> np.ndarray:
    of_cell = system.layout.population_of_cell
    if of_cell is None:
        return np.zeros(cells.size, np.int64)
    return np.where(cells >= 0, np.asarray(of_cell)[np.maximum(cells, 0)], -1)


def connection_table(system: System) -> ConnectionTable:
    """Every connection of ``system`` (raises a ValueError if it has none)."""
    events = system.events
    if events is None or not events.inboxes:
        raise ValueError(
            "the System has no connections; compile a dendrax.Network with network.connect(...) "
            "(or network.connect_cells(...))."
        )
    parts: dict[str, list[np.ndarray]] = {}
    first = 0
    for ib in events.inboxes:
        n = int(ib.weight_uS.shape[0])
        ids = np.arange(first, first + n) if ib.conn_id is None else np.asarray(ib.conn_id)
        first += n
        site = np.asarray(ib.site, np.int64)
        row = {
            "conn_id": ids,
            "label": np.asarray(ib.label),
            "pre_cell": np.asarray(ib.pre_cell),
            "pre_source": np.asarray(ib.pre_source),
            "post_cell": np.asarray(ib.post_cell),
            "group": np.full(n, ib.group, np.int64),
            "site": site,
            "compartment": np.asarray(system.mechanisms[ib.group].compartments)[site],
        }
        for k, v in row.items():
            parts.setdefault(k, []).append(np.asarray(v, np.int64))
    cols = {k: np.concatenate(v) for k, v in parts.items()}
    names = system.layout.population_names or ("cells",)
    return ConnectionTable(
        **cols,
        pre_population=_populations(system, cols["pre_cell"]),
        post_population=_populations(system, cols["post_cell"]),
        names=events.connection_names,
        populations=names,
    )


@dataclasses.dataclass(frozen=True)
class Sites:
    """The positions of a located quantity.

    ``kind`` is ``"compartment"`` (cable properties, density mechanisms), ``"synapse"`` (the
    sites of one point-mechanism group: ``group`` and ``index``, the site in it) or
    ``"connection"`` (``table``: one row per position).
    """

    kind: str
    compartments: np.ndarray
    group: int = -1
    index: np.ndarray | None = None
    table: ConnectionTable | None = None

    def take(self, positions: np.ndarray) -> Sites:
        return dataclasses.replace(
            self,
            compartments=self.compartments[positions],
            index=None if self.index is None else self.index[positions],
            table=None if self.table is None else self.table.take(positions),
        )

    @property
    def what(self) -> str:
        """Plural noun for messages."""
        return {"compartment": "compartments", "synapse": "synapses"}.get(self.kind, "connections")
