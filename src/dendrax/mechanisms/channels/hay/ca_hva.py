"""``Ca_HVA``: high-voltage-activated Ca2+ current of Hay et al. (2011), after Reuveni et al.
(1993).

ModelDB 139653, ``Ca_HVA.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import from_rates, guard, linexp


def ca_hva_gates(v):
    """``{m, h: (inf, tau_ms)}`` at ``v`` (mV), no temperature factor. Guard at -27 mV (the
    shifted v is used for h as well); with ``b = -27 - v``: ``αm = 0.055 b/(exp(b/3.8) - 1)``,
    ``βm = 0.94 exp((-75 - v)/17)``; ``αh = 4.57e-4 exp((-13 - v)/50)``,
    ``βh = 0.0065/(exp((-v - 15)/28) + 1)`` (1/ms)."""
    v = guard(v, -27.0)
    b = -27.0 - v
    am = linexp(0.055, b, 3.8)
    bm = 0.94 * jnp.exp((-75.0 - v) / 17.0)
    ah = 4.57e-4 * jnp.exp((-13.0 - v) / 50.0)
    bh = 0.0065 / (jnp.exp((-v - 15.0) / 28.0) + 1.0)
    return {"m": from_rates(am, bm), "h": from_rates(ah, bh)}


class Ca_HVA(Channel):
    """High-voltage-activated Ca2+ current (Hay et al. 2011, ``Ca_HVA.mod``; Reuveni et al.
    1993).

    ``ica = gCa_HVAbar m² h (v - eca)`` (mA/cm²), gates of :func:`ca_hva_gates`. Parameter
    ``gCa_HVAbar`` (S/cm²); reads eca (mV). States m, h. Recordable: ``ica``, ``gCa_HVA``
    (S/cm²).
    """

    name = "Ca_HVA"
    parameters = {"gCa_HVAbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("eca",)
    assigned = ("gCa_HVA",)

    def gates(self, v, params, celsius):
        return ca_hva_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gCa_HVA": params["gCa_HVAbar"] * states["m"] ** 2 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gCa_HVA"]
        return {"ca": g * (v - params["eca"])}
