"""NEURON's built-in Hodgkin-Huxley channel ``hh``.

Equations from NEURON's ``hh.mod`` (Hodgkin & Huxley 1952, J. Physiol. 117:500-544, in the
modern sign convention), with its q10 = 3 temperature scaling from 6.3 °C. The rates are the
exact functions (NEURON with ``usetable_hh = 0``), not a 1-mV lookup table.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from .._base import NONSPECIFIC, Channel
from .._gates import exponential_euler_rates, vtrap

_E_MINUS_4 = math.exp(-4.0)
_E_MINUS_5P5 = math.exp(-5.5)
_E_MINUS_3P5 = math.exp(-3.5)


def hh_rates(v):
    """α and β (1/ms) of m, h and n at 6.3 °C for ``v`` in mV (hh.mod's ``rates``).

    The three exponentials with a 10 mV scale share one ``exp(-v/10)`` and the 20 mV one is the
    fourth power of the 80 mV one: 3 exponentials instead of 6, same values to round-off.
    """
    e10 = jnp.exp(-v / 10.0)
    e80 = jnp.exp(-(v + 65.0) / 80.0)
    e20 = (e80 * e80) * (e80 * e80)
    am = 0.1 * vtrap(-(v + 40.0), 10.0, e10 * _E_MINUS_4)
    bm = 4.0 * jnp.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * e20
    bh = 1.0 / (e10 * _E_MINUS_3P5 + 1.0)
    an = 0.01 * vtrap(-(v + 55.0), 10.0, e10 * _E_MINUS_5P5)
    bn = 0.125 * e80
    return (am, bm), (ah, bh), (an, bn)


def hh_q10(celsius):
    """Rate factor ``3^((celsius - 6.3)/10)`` of ``hh.mod``."""
    return 3.0 ** ((celsius - 6.3) / 10.0)


class HH(Channel):
    """Hodgkin-Huxley sodium, potassium and leak currents (NEURON's ``hh``).

    Parameters: gnabar, gkbar, gl (S/cm²); ena, ek, el (mV). States: m, h, n.
    ``i = gnabar m³ h (v - ena) + gkbar n⁴ (v - ek) + gl (v - el)`` (mA/cm²): ``ina``, ``ik``
    and the non-specific leak ``il``.
    """

    name = "hh"
    parameters = {
        "gnabar": (0.12, "S/cm^2"),
        "gkbar": (0.036, "S/cm^2"),
        "gl": (0.0003, "S/cm^2"),
        "el": (-54.3, "mV"),
        "ena": (50.0, "mV"),
        "ek": (-77.0, "mV"),
    }
    states = ("m", "h", "n")
    nonspecific_current = "il"

    def gates(self, v, params, celsius):
        q10 = hh_q10(celsius)
        out = {}
        for s, (a, b) in zip(self.states, hh_rates(v)):
            total = a + b
            out[s] = (a / total, 1.0 / (q10 * total))
        return out

    def update(self, v, states, params, dt, celsius):
        # Exponential Euler written with the rate sum directly, one gate at a time (measured
        # as fast or faster than stacking the gates).
        q10 = hh_q10(celsius)
        return {
            s: exponential_euler_rates(states[s], a, b, dt, q10)
            for s, (a, b) in zip(self.states, hh_rates(v))
        }

    def species_currents(self, v, states, params, celsius):
        m, h, n = states["m"], states["h"], states["n"]
        return {
            "na": params["gnabar"] * m**3 * h * (v - params["ena"]),
            "k": params["gkbar"] * n**4 * (v - params["ek"]),
            NONSPECIFIC: params["gl"] * (v - params["el"]),
        }

    def current(self, v, states, params, celsius):
        i = self.species_currents(v, states, params, celsius)
        return i["na"] + i["k"] + i[NONSPECIFIC]
