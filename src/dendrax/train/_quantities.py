"""Trainable quantities as objects: each knows how to locate itself in a compiled System.

- :class:`CableParameter`: ``"cm"`` (µF/cm²), ``"Ra"`` (Ω·cm), ``"radius"`` (µm) or
  ``"length"`` (µm, per compartment).
- :class:`MechanismParameter`: any parameter of a mechanism class, in that parameter's units:
  of a density channel per compartment, of a point mechanism (a synapse) per instance.
- :class:`dendrax.ConnectionParameter` (``_connections.py``): ``"weight_uS"``, ``"delay_ms"``
  of a network's connections.

Later kinds (ion parameters, ...) are new subclasses; :class:`Located` is all a
:class:`dendrax.ParameterMap` needs from them.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ..mechanisms._base import Mechanism
from ..solve._system import System
from ._sites import Sites

CABLE_QUANTITIES = {
    # name: (System field, factor: stored value = factor * parameter value, unit)
    "cm": ("cm_uF_cm2", 1.0, "µF/cm²"),
    "Ra": ("Ra_ohm_cm", 1.0, "Ω·cm"),
    "radius": ("diam_um", 2.0, "µm"),
    "length": ("length_um", 1.0, "µm"),
}


@dataclasses.dataclass(frozen=True)
class Located:
    """Where a quantity's values live in a System: the leaf (``getter``; or a tuple of leaves,
    whose positions then run through their concatenation), the compartment of every position
    of that leaf, and ``stored = factor * value``.

    ``sites`` says what the positions are (default: compartments). ``dense`` quantities exist
    in whole regions, so ``where`` must lie inside them; otherwise (synapses, connections)
    ``where`` picks the positions it contains.
    """

    getter: Callable[[System], Any]
    site_compartments: np.ndarray
    factor: float
    sites: Sites | None = None
    dense: bool = True

    def positions_of(self) -> Sites:
        return self.sites or Sites("compartment", self.site_compartments)


@dataclasses.dataclass(frozen=True)
class FieldGetter:
    """``system.<name>``; compares by value, so equal ParameterMaps have equal structures."""

    name: str

    def __call__(self, system: System):
        return getattr(system, self.name)


@dataclasses.dataclass(frozen=True)
class MechanismParameterGetter:
    """``system.mechanisms[group].params[param]``; compares by value."""

    group: int
    param: str

    def __call__(self, system: System):
        return system.mechanisms[self.group].params[self.param]


class Quantity(abc.ABC):
    """Something trainable; :meth:`locate` finds it in a compiled System."""

    @abc.abstractmethod
    def locate(self, system: System) -> Located:
        """Its leaf in ``system``; raise ``ValueError`` (saying the fix) if it is absent."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A short human-readable name, e.g. ``"HH.gnabar"``."""


@dataclasses.dataclass(frozen=True)
class CableParameter(Quantity):
    """A cable property of every compartment: ``"cm"``, ``"Ra"``, ``"radius"`` or ``"length"``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in CABLE_QUANTITIES:
            raise ValueError(
                f"CableParameter({self.name!r}): unknown; use one of {sorted(CABLE_QUANTITIES)}."
            )

    @property
    def field(self) -> str:
        return CABLE_QUANTITIES[self.name][0]

    @property
    def unit(self) -> str:
        return CABLE_QUANTITIES[self.name][2]

    def locate(self, system: System) -> Located:
        return Located(
            getter=FieldGetter(self.field),
            site_compartments=np.arange(system.n_comp),
            factor=CABLE_QUANTITIES[self.name][1],
        )

    def describe(self) -> str:
        return self.name


@dataclasses.dataclass(frozen=True)
class MechanismParameter(Quantity):
    """A parameter of a mechanism class wherever it is inserted or placed, e.g.
    ``MechanismParameter(dendrax.HH, "gnabar")`` (S/cm²)."""

    mechanism: type[Mechanism]
    parameter: str

    def __post_init__(self) -> None:
        m = self.mechanism
        if isinstance(m, Mechanism):
            object.__setattr__(self, "mechanism", type(m))
            m = type(m)
        if not (isinstance(m, type) and issubclass(m, Mechanism)):
            raise TypeError(
                f"MechanismParameter({m!r}, ...): give a mechanism class such as dendrax.HH "
                "(a Channel class)."
            )
        if self.parameter not in m.parameters:
            raise ValueError(
                f"{m.__name__} has no parameter {self.parameter!r}; its parameters are "
                f"{sorted(m.parameters)}."
            )

    @property
    def unit(self) -> str:
        return self.mechanism.parameters[self.parameter][1]

    def locate(self, system: System) -> Located:
        found = [i for i, g in enumerate(system.mechanisms) if g.mechanism_type is self.mechanism]
        if not found:
            raise ValueError(f"{self.mechanism.__name__} is not inserted.")
        gi = found[0]
        group = system.mechanisms[gi]
        comps = np.asarray(group.compartments)
        sites = Sites("synapse", comps, gi, np.arange(comps.size)) if group.is_point else None
        return Located(
            getter=MechanismParameterGetter(gi, self.parameter),
            site_compartments=comps,
            factor=1.0,
            sites=sites,
            dense=not group.is_point,
        )

    def describe(self) -> str:
        return f"{self.mechanism.__name__}.{self.parameter}"


def as_quantity(q: Any, name: str) -> Quantity:
    """The quantity of a Trainable: a Quantity, or the short forms ``"Ra"`` (a cable property)
    and ``(ChannelClass, "param")``."""
    if isinstance(q, Quantity):
        return q
    if isinstance(q, str):
        from ._connections import CONNECTION_QUANTITIES, ConnectionParameter

        if q in CONNECTION_QUANTITIES:
            return ConnectionParameter(q)
        if q not in CABLE_QUANTITIES:
            raise ValueError(
                f"Trainable {name!r}: unknown quantity {q!r}; use one of "
                f"{sorted(CABLE_QUANTITIES)}, {sorted(CONNECTION_QUANTITIES)} (connections) "
                "or (ChannelClass, 'parameter')."
            )
        return CableParameter(q)
    if not (isinstance(q, tuple) and len(q) == 2 and isinstance(q[1], str)):
        raise TypeError(
            f"Trainable {name!r}: quantity={q!r}; use (ChannelClass, 'parameter'), e.g. "
            f"(dendrax.HH, 'gnabar'), dendrax.MechanismParameter(...), or one of "
            f"{sorted(CABLE_QUANTITIES)}."
        )
    mtype = type(q[0]) if isinstance(q[0], Mechanism) else q[0]
    if not (isinstance(mtype, type) and issubclass(mtype, Mechanism)):
        raise TypeError(
            f"Trainable {name!r}: quantity={q!r} must name a Channel class such as dendrax.HH."
        )
    try:
        return MechanismParameter(mtype, q[1])
    except ValueError as e:
        raise ValueError(f"Trainable {name!r}: {e}") from None
