"""``SKv3_1``: Kv3.1-like fast K+ current of Hay et al. (2011) (after Rettig et al. 1992).

ModelDB 139653, ``SKv3_1.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import boltzmann


def skv3_1_gates(v):
    """``{m: (inf, tau_ms)}`` at ``v`` (mV), no temperature factor:
    ``m∞ = 1/(1 + exp(-(v - 18.7)/9.7))``, ``τm = 4/(1 + exp(-(v + 46.56)/44.14))``."""
    m_inf = boltzmann(-(v - 18.7) / 9.7)
    tau_m = 4.0 / (1.0 + jnp.exp(-(v + 46.56) / 44.14))
    return {"m": (m_inf, tau_m)}


class SKv3_1(Channel):
    """Kv3.1 K+ current (Hay et al. 2011, ``SKv3_1.mod``).

    ``ik = gSKv3_1bar m (v - ek)`` (mA/cm²), gate of :func:`skv3_1_gates`. Parameter
    ``gSKv3_1bar`` (S/cm²); reads ek (mV). State m. Recordable: ``ik``, ``gSKv3_1`` (S/cm²).
    """

    name = "SKv3_1"
    parameters = {"gSKv3_1bar": (0.00001, "S/cm^2")}
    states = ("m",)
    ion_reads = ("ek",)
    assigned = ("gSKv3_1",)

    def gates(self, v, params, celsius):
        return skv3_1_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gSKv3_1": params["gSKv3_1bar"] * states["m"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gSKv3_1"]
        return {"k": g * (v - params["ek"])}
