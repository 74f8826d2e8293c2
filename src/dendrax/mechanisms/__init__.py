"""Membrane mechanisms: the contract (:class:`Mechanism`, :class:`Channel` for density
mechanisms, :class:`PointMechanism`), shared gate helpers, the immutable registry, and the
library (NEURON's ``hh`` and ``pas``)."""

from . import channels, synapses
from ._base import NONSPECIFIC, Channel, DensityMechanism, Mechanism, PointMechanism
from ._gates import exponential_euler, exponential_euler_rates, safe_exp, vtrap
from ._ions import NEURON_DEFAULTS as ION_DEFAULTS
from ._ions import SPECIES, IonSpecies, ghk, nernst
from ._registry import MechanismRegistry
from .channels import HH, Pas
from .synapses import Exp2Syn, ExpSyn, GradedSynapse, JaxleyIonotropicSynapse, TanhSynapse

DEFAULT_REGISTRY = MechanismRegistry(
    [HH, Pas, ExpSyn, Exp2Syn, GradedSynapse, TanhSynapse, JaxleyIonotropicSynapse]
)
"""The built-in mechanisms by name; extend with ``DEFAULT_REGISTRY.with_mechanisms(...)``."""

__all__ = [
    "DEFAULT_REGISTRY",
    "HH",
    "ION_DEFAULTS",
    "IonSpecies",
    "SPECIES",
    "ghk",
    "nernst",
    "NONSPECIFIC",
    "Channel",
    "DensityMechanism",
    "Mechanism",
    "MechanismRegistry",
    "Pas",
    "PointMechanism",
    "Exp2Syn",
    "ExpSyn",
    "GradedSynapse",
    "JaxleyIonotropicSynapse",
    "TanhSynapse",
    "channels",
    "synapses",
    "exponential_euler",
    "exponential_euler_rates",
    "safe_exp",
    "vtrap",
]
