"""The Ca2+ reversal potential of ``IL_gutnick.mod`` and ``IT_huguenard.mod``, in their order
of operations (so that it rounds as NEURON's compiled mod file does)."""

from __future__ import annotations

import jax.numpy as jnp

from ..._ions import FARADAY, GAS_CONSTANT, ZERO_CELSIUS_K


def carev_mV(cai_mM, cao_mM, celsius):
    """``carev = 1e3 (R (celsius + 273.15))/(2 F) log(cao/cai)`` (mV), evaluated left to
    right as the mod files write it; R, F are NEURON 9's (CODATA 2018)."""
    return (
        (1e3 * (GAS_CONSTANT * (celsius + ZERO_CELSIUS_K)))
        / (2.0 * FARADAY)
        * jnp.log(cao_mM / cai_mM)
    )
