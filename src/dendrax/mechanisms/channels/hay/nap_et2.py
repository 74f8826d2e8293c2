"""``Nap_Et2``: persistent Na+ current of Hay et al. (2011), after Magistretti & Alonso (1999).

ModelDB 139653, ``Nap_Et2.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

from ..._base import Channel
from ._common import QT, boltzmann, guard, linexp


def nap_et2_gates(v):
    """``{m, h: (inf, tau_ms)}`` of Nap_Et2 at ``v`` (mV), in the mod file's order.

    ``m∞ = 1/(1 + exp(-(v + 52.6)/4.6))`` (before any guard); guard at -38, then
    ``τm = 6/(qt (αm + βm))`` with NaTa_t's ``αm, βm`` (``w = v + 38``); guards at -17, then
    -64.4; ``h∞ = 1/(1 + exp((v + 48.8)/10))``,
    ``αh = 2.88e-6 (v + 17)/(exp((v + 17)/4.63) - 1)``,
    ``βh = 6.94e-6 (v + 64.4)/(1 - exp(-(v + 64.4)/2.63))``, ``τh = 1/(qt (αh + βh))`` (of the
    order of seconds). Neither ``m∞`` nor ``h∞`` is ``α/(α+β)``.
    """
    m_inf = boltzmann(-(v + 52.6) / 4.6)
    v = guard(v, -38.0)
    w = v + 38.0
    am = linexp(0.182, -w, 6.0)
    bm = linexp(0.124, w, 6.0)
    tau_m = 6.0 / (QT * (am + bm))
    v = guard(v, -17.0)
    v = guard(v, -64.4)
    h_inf = boltzmann((v + 48.8) / 10.0)
    ah = linexp(2.88e-6, v + 17.0, 4.63)
    bh = linexp(6.94e-6, -(v + 64.4), 2.63)
    tau_h = 1.0 / (QT * (ah + bh))
    return {"m": (m_inf, tau_m), "h": (h_inf, tau_h)}


class Nap_Et2(Channel):
    """Persistent Na+ current (Hay et al. 2011, ``Nap_Et2.mod``; Magistretti & Alonso 1999).

    ``ina = gNap_Et2bar m³ h (v - ena)`` (mA/cm²), gates of :func:`nap_et2_gates` (constant
    ``qt = 2.3^1.3``). Parameter ``gNap_Et2bar`` (S/cm²); reads ena (mV). States m, h.
    Recordable: ``ina``, ``gNap_Et2`` (S/cm²).
    """

    name = "Nap_Et2"
    parameters = {"gNap_Et2bar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("ena",)
    assigned = ("gNap_Et2",)

    def gates(self, v, params, celsius):
        return nap_et2_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gNap_Et2": params["gNap_Et2bar"] * states["m"] ** 3 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gNap_Et2"]
        return {"na": g * (v - params["ena"])}
