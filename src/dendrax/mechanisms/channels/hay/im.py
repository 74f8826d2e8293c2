"""``Im``: muscarinic M-type K+ current of Hay et al. (2011), after Adams et al. (1982).

ModelDB 139653, ``Im.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ._common import QT, from_rates


def im_gates(v):
    """``{m: (inf, tau_ms)}`` at ``v`` (mV): ``αm = 3.3e-3 exp(0.1 (v + 35))``,
    ``βm = 3.3e-3 exp(-0.1 (v + 35))`` (1/ms), ``τ = 1/(qt (α+β))``, constant ``qt``."""
    am = 3.3e-3 * jnp.exp(0.1 * (v + 35.0))
    bm = 3.3e-3 * jnp.exp(-0.1 * (v + 35.0))
    return {"m": from_rates(am, bm, QT)}


class Im(Channel):
    """M current (Hay et al. 2011, ``Im.mod``; Adams et al. 1982).

    ``ik = gImbar m (v - ek)`` (mA/cm²), gate of :func:`im_gates`. Parameter ``gImbar``
    (S/cm²); reads ek (mV). State m. Recordable: ``ik``, ``gIm`` (S/cm²). Not the
    Pospischil ``im`` (:class:`dendrax.mechanisms.Km`).
    """

    name = "Im"
    parameters = {"gImbar": (0.00001, "S/cm^2")}
    states = ("m",)
    ion_reads = ("ek",)
    assigned = ("gIm",)

    def gates(self, v, params, celsius):
        return im_gates(v)

    def assigned_values(self, v, states, params, celsius):
        return {"gIm": params["gImbar"] * states["m"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gIm"]
        return {"k": g * (v - params["ek"])}
