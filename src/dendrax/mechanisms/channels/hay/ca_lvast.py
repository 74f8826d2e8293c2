"""``Ca_LVAst``: low-voltage-activated Ca2+ current of Hay et al. (2011), after Avery &
Johnston (1996).

ModelDB 139653, ``Ca_LVAst.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import QT, boltzmann


def ca_lvast_gates(v):
    """``{m, h: (inf, tau_ms)}`` at ``v`` (mV). With ``u = v + 10``:
    ``m∞ = 1/(1 + exp(-(u + 30)/6))``, ``τm = (5 + 20/(1 + exp((u + 25)/5)))/qt``;
    ``h∞ = 1/(1 + exp((u + 80)/6.4))``, ``τh = (20 + 50/(1 + exp((u + 40)/7)))/qt``."""
    u = v + 10.0
    m_inf = boltzmann(-(u + 30.0) / 6.0)
    tau_m = (5.0 + 20.0 / (1.0 + jnp.exp((u + 25.0) / 5.0))) / QT
    h_inf = boltzmann((u + 80.0) / 6.4)
    tau_h = (20.0 + 50.0 / (1.0 + jnp.exp((u + 40.0) / 7.0))) / QT
    return {"m": (m_inf, tau_m), "h": (h_inf, tau_h)}


class Ca_LVAst(Channel):
    """Low-voltage-activated Ca2+ current (Hay et al. 2011, ``Ca_LVAst.mod``; Avery & Johnston
    1996).

    ``ica = gCa_LVAstbar m² h (v - eca)`` (mA/cm²), gates of :func:`ca_lvast_gates` (constant
    ``qt = 2.3^1.3``). Parameter ``gCa_LVAstbar`` (S/cm²); reads eca (mV). States m, h.
    Recordable: ``ica``, ``gCa_LVAst`` (S/cm²).
    """

    name = "Ca_LVAst"
    parameters = {"gCa_LVAstbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("eca",)
    assigned = ("gCa_LVAst",)

    def gates(self, v, params, celsius):
        return ca_lvast_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gCa_LVAst": params["gCa_LVAstbar"] * states["m"] ** 2 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gCa_LVAst"]
        return {"ca": g * (v - params["eca"])}
