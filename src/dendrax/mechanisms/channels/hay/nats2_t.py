"""``NaTs2_t``: somatic transient Na+ current of Hay et al. (2011): NaTa_t with both curves
shifted by +6 mV.

ModelDB 139653, ``NaTs2_t.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

from ..._base import Channel
from .nata_t import nata_gates


class NaTs2_t(Channel):
    """Somatic transient Na+ current (Hay et al. 2011, ``NaTs2_t.mod``).

    ``ina = gNaTs2_tbar m³ h (v - ena)`` (mA/cm²); the gates of ``NaTa_t`` shifted by +6 mV
    (``w = v + 32``, ``y = v + 60``, guards at -32 then -60 mV), constant ``qt = 2.3^1.3``.
    Parameter ``gNaTs2_tbar`` (S/cm²); reads ena (mV). States m, h. Recordable: ``ina``,
    ``gNaTs2_t`` (S/cm²).
    """

    name = "NaTs2_t"
    parameters = {"gNaTs2_tbar": (0.00001, "S/cm^2")}
    states = ("m", "h")
    ion_reads = ("ena",)
    assigned = ("gNaTs2_t",)

    def gates(self, v, params, celsius):
        return nata_gates(v, 6.0)

    def assigned_values(self, v, states, params, celsius):
        return {"gNaTs2_t": params["gNaTs2_tbar"] * states["m"] ** 3 * states["h"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gNaTs2_t"]
        return {"na": g * (v - params["ena"])}
