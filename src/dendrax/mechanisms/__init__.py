"""Membrane mechanisms: the :class:`Channel` base class and NEURON's ``hh`` and ``pas``."""

from ._channel import Channel
from .hh import HH, Pas

REGISTRY: dict[str, type[Channel]] = {HH.name: HH, Pas.name: Pas}

__all__ = ["Channel", "HH", "Pas", "REGISTRY"]
