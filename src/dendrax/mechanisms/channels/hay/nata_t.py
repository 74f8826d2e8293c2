"""``NaTa_t``: transient Na+ current of Hay et al. (2011), after Colbert & Pan (2002).

Hay E, Hill S, Schürmann F, Markram H, Segev I (2011) PLoS Comput Biol 7:e1002107; ModelDB
139653, ``NaTa_t.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

from ..._base import Channel
from ._common import QT, from_rates, guard, linexp


def nata_gates(v, shift_mV: float = 0.0):
    """``{m, h: (inf, tau_ms)}`` of NaTa_t (``shift_mV = 0``) and NaTs2_t (``+6``) at ``v`` (mV).

    ``w = v + 38 - shift``: ``αm = 0.182 w / (1 - exp(-w/6))``, ``βm = -0.124 w / (1 - exp(w/6))``;
    ``y = v + 66 - shift``: ``αh = -0.015 y / (1 - exp(y/6))``, ``βh = 0.015 y / (1 - exp(-y/6))``
    (1/ms); ``τ = 1/(qt (α+β))`` with the constant ``qt = 2.3^1.3``. Guards: ``v`` equal to
    ``-38 + shift`` (tested first), then to ``-66 + shift``, is replaced by ``v + 1e-4``.
    """
    v = guard(v, -38.0 + shift_mV)
    w = v + (38.0 - shift_mV)
    am = linexp(0.182, -w, 6.0)
    bm = linexp(0.124, w, 6.0)
    v = guard(v, -66.0 + shift_mV)
    y = v + (66.0 - shift_mV)
    ah = linexp(0.015, y, 6.0)
    bh = linexp(0.015, -y, 6.0)
    return {"m": from_rates(am, bm, QT), "h": from_rates(ah, bh, QT)}


class NaTa_t(Channel):
    """Transient Na+ current (Hay et al. 2011, ``NaTa_t.mod``; Colbert & Pan 2002).

    ``ina = gNaTa_tbar m³ h (v - ena)`` (mA/cm²), gates of :func:`nata_gates` at 34 °C
    (fixed ``qt``, independent of ``celsius``). Parameter ``gNaTa_tbar`` (S/cm²); reads ena
    (mV). States m, h. Recordable: ``ina``, the conductance ``gNaTa_t`` (S/cm²).
    """

    name = "NaTa_t"
    parameters = {"gNaTa_tbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("ena",)
    assigned = ("gNaTa_t",)

    def gates(self, v, params, celsius):
        return nata_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gNaTa_t": params["gNaTa_tbar"] * states["m"] ** 3 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gNaTa_t"]
        return {"na": g * (v - params["ena"])}
