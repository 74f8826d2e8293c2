"""``Ih``: hyperpolarisation-activated cation (HCN) current of Hay et al. (2011), after Kole
et al. (2006).

ModelDB 139653, ``Ih.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import NONSPECIFIC, Channel
from ._common import from_rates, guard, linexp


def ih_gates(v):
    """``{m: (inf, tau_ms)}`` at ``v`` (mV), no temperature factor. Guard at -154.9 mV; with
    ``a = v + 154.9``: ``αm = 6.43e-3 a/(exp(a/11.9) - 1)``, ``βm = 0.193 exp(v/33.1)``."""
    v = guard(v, -154.9)
    a = v + 154.9
    am = linexp(6.43e-3, a, 11.9)
    bm = 0.193 * jnp.exp(v / 33.1)
    return {"m": from_rates(am, bm)}


class Ih(Channel):
    """HCN current (Hay et al. 2011, ``Ih.mod``; Kole et al. 2006), non-specific.

    ``ihcn = gIhbar m (v - ehcn)`` (mA/cm²; it enters no ion total), gate of :func:`ih_gates`.
    Parameters ``gIhbar`` (S/cm²), ``ehcn`` (mV, a NEURON GLOBAL, one value per model). State
    m. Recordable: ``ihcn``, ``gIh`` (S/cm²).
    """

    name = "Ih"
    parameters = {"gIhbar": (0.00001, "S/cm^2"), "ehcn": (-45.0, "mV")}
    states = ("m",)
    assigned = ("gIh",)
    global_parameters = ("ehcn",)
    nonspecific_current = "ihcn"

    def gates(self, v, params, celsius):
        return ih_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gIh": params["gIhbar"] * states["m"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gIh"]
        return {NONSPECIFIC: g * (v - params["ehcn"])}
