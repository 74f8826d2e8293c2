"""``K_Pst``: persistent K+ current of Hay et al. (2011), after Korngreen & Sakmann (2000).

ModelDB 139653, ``K_Pst.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import QT, boltzmann


def k_pst_gates(v):
    """``{m, h: (inf, tau_ms)}`` of K_Pst at ``v`` (mV). With ``u = v + 10``:
    ``m∞ = 1/(1 + exp(-(u + 1)/12))``; ``τm = (1.25 + 175.03 exp(0.026 u))/qt`` where
    ``u < -50`` (v < -60 mV), else ``(1.25 + 13 exp(-0.026 u))/qt`` (the two agree to 1e-5
    relative at the switch); ``h∞ = 1/(1 + exp((u + 54)/11))``;
    ``τh = (360 + (1010 + 24 (u + 55)) exp(-((u + 75)/48)²))/qt``.
    """
    u = v + 10.0
    m_inf = boltzmann(-(u + 1.0) / 12.0)
    tau_m = jnp.where(
        u < -50.0,
        (1.25 + 175.03 * jnp.exp(0.026 * u)) / QT,
        (1.25 + 13.0 * jnp.exp(-0.026 * u)) / QT,
    )
    h_inf = boltzmann((u + 54.0) / 11.0)
    tau_h = (360.0 + (1010.0 + 24.0 * (u + 55.0)) * jnp.exp(-(((u + 75.0) / 48.0) ** 2))) / QT
    return {"m": (m_inf, tau_m), "h": (h_inf, tau_h)}


class K_Pst(Channel):
    """Persistent K+ current (Hay et al. 2011, ``K_Pst.mod``; Korngreen & Sakmann 2000).

    ``ik = gK_Pstbar m² h (v - ek)`` (mA/cm²), gates of :func:`k_pst_gates` (constant
    ``qt = 2.3^1.3``). Parameter ``gK_Pstbar`` (S/cm²); reads ek (mV). States m, h.
    Recordable: ``ik``, ``gK_Pst`` (S/cm²).
    """

    name = "K_Pst"
    parameters = {"gK_Pstbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("ek",)
    assigned = ("gK_Pst",)

    def gates(self, v, params, celsius):
        return k_pst_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gK_Pst": params["gK_Pstbar"] * states["m"] ** 2 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gK_Pst"]
        return {"k": g * (v - params["ek"])}
