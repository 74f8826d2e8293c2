"""``SK_E2``: small-conductance Ca2+-activated K+ current of Hay et al. (2011), after Köhler
et al. (1996).

ModelDB 139653, ``SK_E2.mod``. Equations: FORMAT_V2.md section 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel

CAI_FLOOR_MM = 1e-7


def sk_e2_z_inf(cai_mM):
    """``z∞ = 1/(1 + (4.3e-4/c)^4.8)`` with ``c = cai``, or ``cai + 1e-7`` where
    ``cai < 1e-7`` mM (the mod file's floor; dimensionless)."""
    c = jnp.where(cai_mM < CAI_FLOOR_MM, cai_mM + CAI_FLOOR_MM, cai_mM)
    return 1.0 / (1.0 + (4.3e-4 / c) ** 4.8)


class SK_E2(Channel):
    """SK-type Ca2+-activated K+ current (Hay et al. 2011, ``SK_E2.mod``; Köhler et al. 1996).

    ``ik = gSK_E2bar z (v - ek)`` (mA/cm²); ``z`` relaxes to :func:`sk_e2_z_inf` of ``cai``
    with the time constant ``zTau`` (ms, a NEURON GLOBAL, one value per model); it does not
    depend on ``v``. Parameters ``gSK_E2bar`` (S/cm²), ``zTau`` (ms); reads ek (mV) and cai
    (mM: in ``update`` the value after this step's CaDynamics_E2 update, as in NEURON).
    State z (its declared bounds 0..1 are not enforced, as in NEURON). Recordable: ``ik``,
    ``gSK_E2`` (S/cm²).
    """

    name = "SK_E2"
    parameters = {"gSK_E2bar": (0.000001, "S/cm^2"), "zTau": (1.0, "ms")}
    states = ("z",)
    ion_reads = ("ek", "cai")
    assigned = ("gSK_E2",)
    global_parameters = ("zTau",)

    def gates(self, v, params, celsius):
        return {"z": (sk_e2_z_inf(params["cai"]), params["zTau"])}

    def assigned_values(self, v, states, params, celsius):
        return {"gSK_E2": params["gSK_E2bar"] * states["z"]}

    def species_currents(self, v, states, params, celsius):
        g = self.assigned_values(v, states, params, celsius)["gSK_E2"]
        return {"k": g * (v - params["ek"])}
