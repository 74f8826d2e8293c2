"""The Hay et al. (2011) L5 pyramidal cell channel set (ModelDB 139653) under NEURON's names:
``dendrax.mechanisms.hay.NaTa_t`` etc. See ``docs/channel_library.md``."""

from .channels.hay import (
    MECHANISMS,
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

__all__ = [
    "MECHANISMS",
    "CaDynamics_E2",
    "Ca_HVA",
    "Ca_LVAst",
    "Ih",
    "Im",
    "K_Pst",
    "K_Tst",
    "NaTa_t",
    "NaTs2_t",
    "Nap_Et2",
    "SK_E2",
    "SKv3_1",
]
