"""The synapse library (point mechanisms that receive events), one class per file."""

from .exp2syn import Exp2Syn
from .expsyn import ExpSyn

__all__ = ["Exp2Syn", "ExpSyn"]
