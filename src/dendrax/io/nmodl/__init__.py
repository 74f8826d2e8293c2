"""NMODL import: NEURON's ``.mod`` files as differentiable dendrax mechanisms.

``grammar.lark`` and :mod:`._parse` (lark, LALR) read the text into the syntax tree of
:mod:`._ast`; :mod:`._analysis` (with :mod:`._flow`, :mod:`._linear`, :mod:`._units`) maps its
names onto the mechanism contract and refuses what cannot be lowered; :mod:`._lower` and
:mod:`._interp` make the :class:`dendrax.Channel` subclass; :mod:`._load` caches by content.
docs/nmodl.md describes what is supported.
"""

from ._errors import NmodlError
from ._load import load_mod

__all__ = ["NmodlError", "load_mod"]
