"""``K_Tst``: transient K+ current of Hay et al. (2011), after Korngreen & Sakmann (2000).

ModelDB 139653, ``K_Tst.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import QT, boltzmann


def k_tst_gates(v):
    """``{m, h: (inf, tau_ms)}`` of K_Tst at ``v`` (mV). With ``u = v + 10``:
    ``m∞ = 1/(1 + exp(-u/19))``, ``τm = (0.34 + 0.92 exp(-((u + 71)/59)²))/qt``;
    ``h∞ = 1/(1 + exp((u + 66)/10))``, ``τh = (8 + 49 exp(-((u + 73)/23)²))/qt``.
    """
    u = v + 10.0
    m_inf = boltzmann(-u / 19.0)
    tau_m = (0.34 + 0.92 * jnp.exp(-(((u + 71.0) / 59.0) ** 2))) / QT
    h_inf = boltzmann((u + 66.0) / 10.0)
    tau_h = (8.0 + 49.0 * jnp.exp(-(((u + 73.0) / 23.0) ** 2))) / QT
    return {"m": (m_inf, tau_m), "h": (h_inf, tau_h)}


class K_Tst(Channel):
    """Transient K+ current (Hay et al. 2011, ``K_Tst.mod``; Korngreen & Sakmann 2000).

    ``ik = gK_Tstbar m⁴ h (v - ek)`` (mA/cm²), gates of :func:`k_tst_gates` (constant
    ``qt = 2.3^1.3``). Parameter ``gK_Tstbar`` (S/cm²); reads ek (mV). States m, h.
    Recordable: ``ik``, ``gK_Tst`` (S/cm²).
    """

    name = "K_Tst"
    parameters = {"gK_Tstbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("ek",)
    assigned = ("gK_Tst",)

    def gates(self, v, params, celsius):
        return k_tst_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gK_Tst": params["gK_Tstbar"] * states["m"] ** 4 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gK_Tst"]
        return {"k": g * (v - params["ek"])}
