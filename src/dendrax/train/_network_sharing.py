"""Sharing of synapse and connection trainables: per synapse, per connection, per
(presynaptic, postsynaptic) population pair, per ``connect()`` call.

``Shared()``, ``PerCell()``, ``PerPopulation()``, ``PerRegion()`` and ``Grouping(...)`` apply
too (for a connection, through its postsynaptic synapse's compartment and cell).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import ClassVar

import numpy as np

from ._sharing import Sharing, _by_key
from ._sites import Sites


class SiteSharing(Sharing):
    """A sharing that needs more than compartments (synapses, connections)."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def labels(self, system, comps, name):
        raise TypeError(self._wrong_kind(name, "compartment"))

    def _wrong_kind(self, name: str, kind: str) -> str:
        what = " and ".join(f"{k} quantities" for k in self.kinds)
        return (
            f"Trainable {name!r}: {type(self).__name__}() applies to {what}, not to a "
            f"{kind} quantity; use Shared(), PerCell(), PerRegion(), PerCompartment(), ..."
        )

    def labels_at(self, system, sites: Sites, name: str):
        if sites.kind not in self.kinds:
            raise TypeError(self._wrong_kind(name, sites.kind))
        return self.site_labels(system, sites, name)

    @abc.abstractmethod
    def site_labels(self, system, sites: Sites, name: str) -> tuple[np.ndarray, tuple]:
        """Group of every position (of a kind in ``kinds``) and the group names."""


@dataclasses.dataclass(frozen=True)
class PerSynapse(SiteSharing):
    """One value per synapse (point-mechanism instance), in the order of its mechanism group
    (a network: cell templates' own instances first, then ``network.place`` calls in order).
    For a connection quantity: one value per postsynaptic synapse (connections onto one synapse
    share it)."""

    kinds = ("synapse", "connection")

    def site_labels(self, system, sites, name):
        if sites.kind == "synapse":
            assert sites.index is not None
            return _by_key(sites.index, f"{system.mechanisms[sites.group].mechanism_type.name} ")
        assert sites.table is not None
        t = sites.table
        labels, _ = _by_key(t.group * (1 + int(t.site.max(initial=0))) + t.site, "")
        first = np.unique(labels, return_index=True)[1]
        names = tuple(
            f"{system.mechanisms[t.group[i]].mechanism_type.name} {t.site[i]}" for i in first
        )
        return labels, names


@dataclasses.dataclass(frozen=True)
class PerConnection(SiteSharing):
    """One value per connection, in the order of the global connection ids
    (``ConnectionSet.ids``; group names ``"connection <id>"``)."""

    kinds = ("connection",)

    def site_labels(self, system, sites, name):
        assert sites.table is not None
        return _by_key(sites.table.conn_id, "connection ")


@dataclasses.dataclass(frozen=True)
class PerPopulationPair(SiteSharing):
    """One value per (presynaptic, postsynaptic) population pair, named ``"pre->post"``
    (sorted by name). Every artificial source counts as the population ``"source"``."""

    kinds = ("connection",)

    def site_labels(self, system, sites, name):
        assert sites.table is not None
        t = sites.table
        pairs = np.asarray(
            [f"{a}->{b}" for a, b in zip(t.pre_population_names(), t.post_population_names())],
            dtype=object,
        )
        return _by_key(pairs, "")


@dataclasses.dataclass(frozen=True)
class PerConnectionGroup(SiteSharing):
    """One value per ``network.connect(..., name=...)`` call (connections of one name share
    it), sorted by name."""

    kinds = ("connection",)

    def site_labels(self, system, sites, name):
        assert sites.table is not None
        t = sites.table
        return _by_key(np.asarray(t.names, dtype=object)[t.label], "")
