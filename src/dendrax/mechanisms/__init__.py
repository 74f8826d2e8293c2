"""Membrane mechanisms: the contract (:class:`Mechanism`, :class:`Channel` for density
mechanisms, :class:`PointMechanism`), shared gate helpers, the immutable registry, and the
library: NEURON's ``hh`` and ``pas``, the Hay et al. (2011) set (:mod:`.hay`) and the
Pospischil et al. (2008) set (:mod:`.pospischil`), every class also at this level
(``docs/channel_library.md``)."""

from . import channels, hay, pospischil, synapses
from ._base import NONSPECIFIC, Channel, DensityMechanism, Mechanism, PointMechanism
from ._gates import exponential_euler, exponential_euler_rates, safe_exp, vtrap
from ._ions import NEURON_DEFAULTS as ION_DEFAULTS
from ._ions import SPECIES, IonSpecies, ghk, nernst
from ._registry import MechanismRegistry
from .channels import (
    HH,
    HH2,
    SK_E2,
    Ca_HVA,
    Ca_LVAst,
    Cad,
    CaDynamics_E2,
    CaL,
    CaT,
    Ih,
    Im,
    K_Pst,
    K_Tst,
    Km,
    Nap_Et2,
    NaTa_t,
    NaTs2_t,
    Pas,
    SKv3_1,
)
from .synapses import Exp2Syn, ExpSyn, GradedSynapse, JaxleyIonotropicSynapse, TanhSynapse

DEFAULT_REGISTRY = MechanismRegistry(
    [
        HH,
        Pas,
        *hay.MECHANISMS,
        *(m for m in pospischil.MECHANISMS if m is not Pas),  # its leak is NEURON's pas
        ExpSyn,
        Exp2Syn,
        GradedSynapse,
        TanhSynapse,
        JaxleyIonotropicSynapse,
    ]
)
"""The built-in mechanisms by name (NEURON's SUFFIX, as model files give it); extend with
``DEFAULT_REGISTRY.with_mechanisms(...)``."""

__all__ = [
    "DEFAULT_REGISTRY",
    "HH",
    "HH2",
    "CaDynamics_E2",
    "CaL",
    "CaT",
    "Ca_HVA",
    "Ca_LVAst",
    "Cad",
    "Ih",
    "Im",
    "K_Pst",
    "K_Tst",
    "Km",
    "NaTa_t",
    "NaTs2_t",
    "Nap_Et2",
    "SK_E2",
    "SKv3_1",
    "hay",
    "pospischil",
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
