"""``dendrax.Connections``: a selection of a network's connections, for ``where=`` and
``Grouping`` of trainables (resolved against the System's connection table)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ._sites import SOURCE_POPULATION, ConnectionTable


def _names(field: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"Connections({field}={value!r}): give a name or a sequence of names.")
    return values


def _ints(field: str, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    a = np.atleast_1d(np.asarray(getattr(value, "ids", value)))
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError(f"Connections({field}=...): give integer ids, got {value!r}.")
    return tuple(int(x) for x in a)


@dataclasses.dataclass(frozen=True)
class Connections:
    """The connections that meet every given criterion (criteria left as None match all).

    Args:
        name: the name(s) of the ``network.connect(..., name=...)`` calls (default names are
            ``"<pre>-><synapses>"``); ``System.events.connection_names`` lists them.
        pre: presynaptic population name(s) (``network.add_cells(..., name=...)``); every
            artificial source (NetStim, SpikeTimes, SpikeInput) counts as the population
            ``"source"``.
        post: postsynaptic population name(s).
        pre_cells, post_cells: global cell ids (a Population's ``cells``).
        ids: global connection ids, e.g. the :class:`dendrax.ConnectionSet` returned by
            ``network.connect`` (or its ``ids``).

    Example: ``Connections(pre="E", post="I")``, ``Connections(name=("EE", "EI"))``.
    """

    name: str | tuple[str, ...] | None = None
    pre: str | tuple[str, ...] | None = None
    post: str | tuple[str, ...] | None = None
    pre_cells: Any = None
    post_cells: Any = None
    ids: Any = None

    def __post_init__(self) -> None:
        for f in ("name", "pre", "post"):
            object.__setattr__(self, f, _names(f, getattr(self, f)))
        for f in ("pre_cells", "post_cells", "ids"):
            value = getattr(self, f)
            if f != "ids" and value is not None and hasattr(value, "cells"):
                value = value.cells  # a Population
            object.__setattr__(self, f, _ints(f, value))

    def mask(self, table: ConnectionTable, what: str) -> np.ndarray:
        """Which rows of ``table`` it selects; ``what`` names the argument in errors."""
        hit = np.ones(table.conn_id.size, bool)
        if self.name is not None:
            unknown = sorted(set(self.name) - set(table.names))
            if unknown:
                raise ValueError(
                    f"{what}: no connections named {unknown}; the network's connections are "
                    f"named {list(table.names)} (connect(..., name=...))."
                )
            hit &= np.isin(np.asarray(table.names, dtype=object)[table.label], self.name)
        for field, column in (
            ("pre", table.pre_population_names()),
            ("post", table.post_population_names()),
        ):
            wanted = getattr(self, field)
            if wanted is None:
                continue
            known = table.populations + ((SOURCE_POPULATION,) if field == "pre" else ())
            unknown = sorted(set(wanted) - set(known))
            if unknown:
                raise ValueError(
                    f"{what}: Connections({field}=...) names no population {unknown}; the "
                    f"populations are {list(known)}."
                )
            hit &= np.isin(column, wanted)
        for field, column in (
            ("pre_cells", table.pre_cell),
            ("post_cells", table.post_cell),
            ("ids", table.conn_id),
        ):
            wanted = getattr(self, field)
            if wanted is not None:
                hit &= np.isin(column, wanted)
        return hit
