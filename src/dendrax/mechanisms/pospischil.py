"""The Pospischil et al. (2008) set (ModelDB 123623) under the NEURON names of its mod files:
``hh2`` (:class:`HH2`), ``im`` (:class:`Km`), ``ical`` (:class:`CaL`), ``it`` (:class:`CaT`),
``cad`` (:class:`Cad`) and the leak ``pas`` (:class:`Pas`, NEURON's built-in). See
``docs/channel_library.md``."""

from .channels.pospischil import HH2, MECHANISMS, Cad, CaL, CaT, Km, Pas

__all__ = ["MECHANISMS", "CaL", "CaT", "Cad", "HH2", "Km", "Pas"]
