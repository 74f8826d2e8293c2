"""The synapse library (point mechanisms), one class per file: event-driven (``ExpSyn``,
``Exp2Syn``) and graded, reading the presynaptic voltage (``GradedSynapse``, ``TanhSynapse``,
``JaxleyIonotropicSynapse``)."""

from .exp2syn import Exp2Syn
from .expsyn import ExpSyn
from .graded import GradedSynapse, JaxleyIonotropicSynapse, TanhSynapse

__all__ = ["Exp2Syn", "ExpSyn", "GradedSynapse", "JaxleyIonotropicSynapse", "TanhSynapse"]
