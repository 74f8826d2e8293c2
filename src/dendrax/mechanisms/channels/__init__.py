"""The channel library (density mechanisms), one class per file: NEURON's built-in ``hh`` and
``pas``, the Hay et al. (2011) set (:mod:`.hay`) and the Pospischil et al. (2008) set
(:mod:`.pospischil`)."""

from . import hay, pospischil
from .hay import (
    SK_E2,
    Ca_HVA,
    Ca_LVAst,
    CaDynamics_E2,
    Ih,
    Im,
    K_Pst,
    K_Tst,
    Nap_Et2,
    NaTa_t,
    NaTs2_t,
    SKv3_1,
)
from .hh import HH
from .pas import Pas
from .pospischil import HH2, Cad, CaL, CaT, Km

__all__ = [
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
    "Pas",
    "SK_E2",
    "SKv3_1",
    "hay",
    "pospischil",
]
