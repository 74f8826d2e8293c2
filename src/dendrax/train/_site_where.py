"""``where`` for synapse and connection quantities: which positions a selection picks.

- compartments (a region name, a :class:`dendrax.Region`, a Selection): the synapses on them,
  the connections onto synapses on them;
- a :class:`dendrax.Connections` or a ConnectionSet (``network.connect``'s result): those
  connections, the synapses they reach;
- for connection quantities a string is the name of a ``connect()`` call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..morphology._selection import Region, Selection
from ..solve._system import System
from ._connection_filter import Connections
from ._sites import Sites, connection_table
from ._where import where_compartments


def as_connections(sel: Any) -> Connections | None:
    """A Connections filter for ``sel`` when it names connections (a Connections, or a
    ConnectionSet from ``network.connect``), else None."""
    if isinstance(sel, Connections):
        return sel
    if type(sel).__name__ == "ConnectionSet" and hasattr(sel, "ids"):  # train can't import model
        return Connections(ids=sel.ids)
    return None


def site_mask(system: System, sites: Sites, sel: Any, what: str) -> np.ndarray:
    """Which of ``sites`` the selection ``sel`` picks (``what`` names it in errors)."""
    if sel is None or (isinstance(sel, str) and sel == "all"):
        return np.ones(sites.compartments.size, bool)
    if sites.kind == "connection" and isinstance(sel, str):
        sel = Connections(name=sel)
    conns = as_connections(sel)
    if conns is not None:
        if sites.kind == "connection":
            assert sites.table is not None
            return conns.mask(sites.table, what)
        if sites.kind == "synapse":
            assert sites.index is not None
            table = connection_table(system)
            hit = conns.mask(table, what) & (table.group == sites.group)
            return np.isin(sites.index, table.site[hit])
        raise TypeError(
            f"{what}: a Connections selection applies to synapse and connection quantities "
            "(dx.ConnectionParameter, a synapse's MechanismParameter); select compartments "
            "with a region name, dx.Region(...) or cell.select(...)."
        )
    if isinstance(sel, (str, Region, Selection)):
        return np.isin(sites.compartments, where_compartments(system, sel))
    raise TypeError(
        f"{what}={sel!r}: expected a region name, a dendrax.Region, a Selection, "
        "dendrax.Connections(...) or a ConnectionSet"
        + (" (a string names a connect() call here)" if sites.kind == "connection" else "")
        + ", or None."
    )
