"""``im``: the slow non-inactivating K+ (M) current of Pospischil et al. (2008), with the
adjustable peak time constant ``tau_max``.

Paper: Pospischil et al. (2008) Biol Cybern 99:427-441 (``I_M``, after Yamada, Koch & Adams
1989). NEURON names: ModelDB 123623, ``IM_cortex.mod`` (A. Destexhe 1995; SUFFIX ``im``,
``gkbar``, ``taumax``).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel


def exptable(x):
    """``IM_cortex.mod``'s ``exptable``: ``exp(x)`` for ``-25 < x < 25``, else 0."""
    inside = (x > -25.0) & (x < 25.0)
    return jnp.where(inside, jnp.exp(jnp.clip(x, -25.0, 25.0)), 0.0)


def km_tadj(celsius):
    """``IM_cortex.mod``'s temperature factor ``2.3^((celsius - 36)/10)`` (1 at 36 °C)."""
    return 2.3 ** ((celsius - 36.0) / 10.0)


def km_gates(v, taumax, tadj):
    """``{m: (inf, tau_ms)}`` at ``v`` (mV): ``m∞ = 1/(1 + exp(-(v + 35)/10))``,
    ``τ = (taumax/tadj)/(3.3 exp((v + 35)/20) + exp(-(v + 35)/20))`` (ms), with the mod
    file's :func:`exptable` cut-offs."""
    m_inf = 1.0 / (1.0 + exptable(-(v + 35.0) / 10.0))
    tau_peak = taumax / tadj
    tau_m = tau_peak / (3.3 * exptable((v + 35.0) / 20.0) + exptable(-(v + 35.0) / 20.0))
    return {"m": (m_inf, tau_m)}


class Km(Channel):
    """Slow K+ (M) current of Pospischil et al. (2008) (NEURON's ``im``, ``IM_cortex.mod``).

    ``ik = gkbar m (v - ek)`` (mA/cm²), gate of :func:`km_gates`. Parameters ``gkbar``
    (S/cm²), ``taumax`` (ms, the paper's ``τ_max``); reads ek (mV). State m.

    Where the mod file differs from the paper, this follows the mod file (NEURON):
    - ``τ`` is divided by ``tadj = 2.3^((celsius - 36)/10)`` (the paper: none; equal at 36 °C);
    - ``INITIAL`` sets ``m = 0`` (not ``m∞``);
    - ``exptable`` is 0 outside ``(-25, 25)``. It carries a NEURON ``TABLE``; this is the
      exact function, i.e. NEURON with ``usetable_im = 0`` (the table interpolates linearly
      on a 0.005 grid, a relative difference of about 3e-6).

    ``taumax`` is a RANGE variable in the ModelDB copy read (``RANGE gkbar, m_inf, tau_m,
    taumax``; other copies of the file declare it GLOBAL): set it per mechanism, not in
    ``globals``. Not Hay's ``Im`` (:class:`dendrax.mechanisms.Im`).
    """

    name = "im"
    order_name = "IM_cortex"
    parameters = {"gkbar": (1e-6, "S/cm^2"), "taumax": (1000.0, "ms")}
    states = ("m",)
    ion_reads = ("ek",)

    def gates(self, v, params, celsius):
        return km_gates(v, params["taumax"], km_tadj(celsius))

    def init_states(self, v, params, celsius):
        return {"m": 0.0 * v}

    def species_currents(self, v, states, params, celsius):
        return {"k": params["gkbar"] * states["m"] * (v - params["ek"])}
