"""``hh2``: the fast Na+ and delayed-rectifier K+ currents (Traub & Miles 1991, with the
threshold shift ``vtraub``) of Pospischil et al. (2008).

Paper: Pospischil M, Toledo-Rodriguez M, Monier C, Piwkowska Z, Bal T, Frégnac Y, Markram H,
Destexhe A (2008) "Minimal Hodgkin-Huxley type models for different classes of cortical and
thalamic neurons", Biol Cybern 99:427-441 (``I_Na``, ``I_Kd`` with ``V_T``). NEURON names:
ModelDB 123623, ``HH_traub.mod`` (A. Destexhe 1992; SUFFIX ``hh2``, RANGE ``gnabar``,
``gkbar``, ``vtraub``).
"""

from __future__ import annotations

from ..._base import Channel
from ..._gates import vtrap
from ._common import exp_cut100


def hh2_tadj(celsius):
    """``HH_traub.mod``'s temperature factor ``3^((celsius - 36)/10)`` (1 at 36 °C)."""
    return 3.0 ** ((celsius - 36.0) / 10.0)


def _vtrap(x, y):
    # HH_traub.mod's vtrap: the series y (1 - x/y/2) where |x/y| < 1e-6, else x/(Exp(x/y) - 1)
    return vtrap(x, y, exp_cut100(x / y))


def hh2_gates(v, vtraub, tadj):
    """``{m, h, n: (inf, tau_ms)}`` at ``v`` (mV). With ``v2 = v - vtraub`` (1/ms):
    ``αm = 0.32 (13 - v2)/(exp((13 - v2)/4) - 1)``, ``βm = 0.28 (v2 - 40)/(exp((v2 - 40)/5) - 1)``,
    ``αh = 0.128 exp((17 - v2)/18)``, ``βh = 4/(1 + exp((40 - v2)/5))``,
    ``αn = 0.032 (15 - v2)/(exp((15 - v2)/5) - 1)``, ``βn = 0.5 exp((10 - v2)/40)``;
    ``inf = α/(α+β)``, ``tau = 1/(α+β)/tadj``."""
    v2 = v - vtraub
    out = {}
    rates = {
        "m": (0.32 * _vtrap(13.0 - v2, 4.0), 0.28 * _vtrap(v2 - 40.0, 5.0)),
        "h": (0.128 * exp_cut100((17.0 - v2) / 18.0), 4.0 / (1.0 + exp_cut100((40.0 - v2) / 5.0))),
        "n": (0.032 * _vtrap(15.0 - v2, 5.0), 0.5 * exp_cut100((10.0 - v2) / 40.0)),
    }
    for s, (a, b) in rates.items():
        out[s] = (a / (a + b), 1.0 / (a + b) / tadj)
    return out


class HH2(Channel):
    """Na+ and K+ spike currents of Pospischil et al. (2008) (NEURON's ``hh2``,
    ``HH_traub.mod``).

    ``ina = gnabar m³ h (v - ena)``, ``ik = gkbar n⁴ (v - ek)`` (mA/cm²), gates of
    :func:`hh2_gates`. Parameters ``gnabar``, ``gkbar`` (S/cm²), ``vtraub`` (mV, the paper's
    ``V_T``); reads ena and ek (mV). States m, h, n.

    Where the mod file differs from the paper, this follows the mod file (NEURON):
    - the rates are divided by ``tadj = 3^((celsius - 36)/10)`` (the paper: no temperature
      factor; equal at 36 °C, the temperature of every ModelDB demo);
    - ``INITIAL`` sets ``m = h = n = 0`` (not their steady states), so a simulation starts
      from closed channels;
    - default ``vtraub = -63`` mV (the paper fits ``V_T`` per cell; the ModelDB demos set
      ``vtraub_hh2 = -55``);
    - its ``Exp(x)`` is 0 for ``x < -100``.
    """

    name = "hh2"
    order_name = "HH_traub"
    parameters = {
        "gnabar": (0.003, "S/cm^2"),
        "gkbar": (0.005, "S/cm^2"),
        "vtraub": (-63.0, "mV"),
    }
    states = ("m", "h", "n")
    ion_reads = ("ena", "ek")

    def gates(self, v, params, celsius):
        return hh2_gates(v, params["vtraub"], hh2_tadj(celsius))

    def init_states(self, v, params, celsius):
        zero = 0.0 * v
        return {"m": zero, "h": zero, "n": zero}

    def species_currents(self, v, states, params, celsius):
        m, h, n = states["m"], states["h"], states["n"]
        return {
            "na": params["gnabar"] * m * m * m * h * (v - params["ena"]),
            "k": params["gkbar"] * n * n * n * n * (v - params["ek"]),
        }
