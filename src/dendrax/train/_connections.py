"""``dendrax.ConnectionParameter``: a number of every connection of a network (its weight or
delay), wherever its inbox is (``System.events.inboxes[k]``, one per synapse type).

Gradients: the weight (µS) enters the event a spike sends, so loss gradients reach it exactly
(through every spike that is delivered, and with ``dendrax.SurrogateSpike`` also through the
spikes' timing upstream). The delay (ms) decides only *in which step* an event is delivered
(fixed-step delivery rounds ``t_spike + delay`` to the grid), so every loss is piecewise constant
in it and its gradient is exactly zero. It is still a trainable quantity for ``apply``: set,
``jax.vmap`` or scan over delays without recompiling (up to ``compile(max_delay_ms=...)``), or
tune them with a gradient-free method.
"""

from __future__ import annotations

import dataclasses

from ..solve._system import System
from ._quantities import Located, Quantity
from ._sites import Sites, connection_table

CONNECTION_QUANTITIES = {"weight_uS": "µS", "delay_ms": "ms"}  # name: unit (the Inbox field)


@dataclasses.dataclass(frozen=True)
class InboxFieldGetter:
    """``(inbox.<field> for inbox in system.events.inboxes)``; compares by value."""

    field: str

    def __call__(self, system: System):
        assert system.events is not None
        return tuple(getattr(ib, self.field) for ib in system.events.inboxes)


@dataclasses.dataclass(frozen=True)
class ConnectionParameter(Quantity):
    """A parameter of every connection of a network: ``"weight_uS"`` (µS, the conductance an
    event adds: differentiable) or ``"delay_ms"`` (ms: settable, but its gradient is exactly
    zero, since fixed-step delivery rounds the arrival to a step).

    Share it with ``Shared()``, ``PerConnection()``, ``PerConnectionGroup()``,
    ``PerPopulationPair()``, ``PerSynapse()``, ``Grouping(...)``, or a cell sharing of the
    postsynaptic side (``PerCell()``, ``PerPopulation()``, ``PerRegion()``); select connections
    with ``where=`` a connection name, ``dendrax.Connections(...)`` or a ConnectionSet.
    """

    name: str

    def __post_init__(self) -> None:
        if self.name not in CONNECTION_QUANTITIES:
            raise ValueError(
                f"ConnectionParameter({self.name!r}): unknown; use one of "
                f"{sorted(CONNECTION_QUANTITIES)}."
            )

    @property
    def unit(self) -> str:
        return CONNECTION_QUANTITIES[self.name]

    def locate(self, system: System) -> Located:
        table = connection_table(system)
        return Located(
            getter=InboxFieldGetter(self.name),
            site_compartments=table.compartment,
            factor=1.0,
            sites=Sites("connection", table.compartment, table=table),
            dense=False,
        )

    def describe(self) -> str:
        return f"connection {self.name}"
