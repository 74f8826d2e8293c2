"""``ical``: the high-threshold L-type Ca2+ current (Reuveni et al. 1993) of Pospischil et
al. (2008).

Paper: Pospischil et al. (2008) Biol Cybern 99:427-441 (``I_L``). NEURON names: ModelDB 123623,
``IL_gutnick.mod`` (A. Destexhe 1996; SUFFIX ``ical``, RANGE ``gcabar``; GLOBALs ``cai``,
``cao``).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ..._gates import exponential_euler_rates
from ._common import linexp
from ._nernst import carev_mV


def cal_rates(v):
    """``((αm, βm), (αh, βh))`` (1/ms, rates at 36 °C, no temperature factor) at ``v`` (mV):
    ``αm = 0.055 (-27 - v)/(exp((-27 - v)/3.8) - 1)``, ``βm = 0.94 exp((-75 - v)/17)``,
    ``αh = 4.57e-4 exp((-13 - v)/50)``, ``βh = 0.0065/(exp((-15 - v)/28) + 1)``."""
    am = linexp(0.055, -27.0 - v, 3.8)
    bm = 0.94 * jnp.exp((-75.0 - v) / 17.0)
    ah = 0.000457 * jnp.exp((-13.0 - v) / 50.0)
    bh = 0.0065 / (jnp.exp((-15.0 - v) / 28.0) + 1.0)
    return (am, bm), (ah, bh)


class CaL(Channel):
    """L-type Ca2+ current of Pospischil et al. (2008) (NEURON's ``ical``,
    ``IL_gutnick.mod``).

    ``ica = gcabar m² h (v - carev)`` (mA/cm²; written into the Ca2+ total), with
    ``m' = αm (1 - m) - βm m``, ``h' = αh (1 - h) - βh h`` (:func:`cal_rates`, ``cnexp``).
    Parameters ``gcabar`` (S/cm²); ``cai``, ``cao`` (mM, NEURON GLOBALs ``cai_ical``,
    ``cao_ical``). States m, h. Recordable: ``ica``, ``carev`` (mV).

    Where the mod file differs from the paper, this follows the mod file (NEURON):
    - ``carev = Nernst(cai, cao)`` at ``celsius`` from the mechanism's **own** constants
      ``cai = 2.4e-4``, ``cao = 2`` mM (120.3 mV at 36 °C). It reads ``eca`` (``USEION ca READ
      eca``, so the ion exists where it is inserted, as in NEURON) but never uses it, and does
      not see the ion's ``cai``, so a Ca2+ pool (``cad``) does not change it;
    - ``INITIAL`` leaves ``m = h = 0`` (its steady-state assignments are commented out);
    - the ModelDB file since 2012 uses ``cnexp`` (before: ``euler``, ``derivimplicit``);
    - at exactly ``v = -27`` mV its ``αm`` is 0/0 in NEURON (no guard); here the limit
      ``0.055 · 3.8``.
    """

    name = "ical"
    order_name = "IL_gutnick"
    parameters = {"gcabar": (1e-4, "S/cm^2"), "cai": (2.4e-4, "mM"), "cao": (2.0, "mM")}
    states = ("m", "h")
    ion_reads = ("eca",)  # USEION ca READ eca, as in the mod file; the current does not use it
    global_parameters = ("cai", "cao")
    assigned = ("carev",)

    def gates(self, v, params, celsius):
        out = {}
        for s, (a, b) in zip(self.states, cal_rates(v)):
            out[s] = (a / (a + b), 1.0 / (a + b))
        return out

    def init_states(self, v, params, celsius):
        zero = 0.0 * v
        return {"m": zero, "h": zero}

    def update(self, v, states, params, dt, celsius):
        return {
            s: exponential_euler_rates(states[s], a, b, dt)
            for s, (a, b) in zip(self.states, cal_rates(v))
        }

    def assigned_values(self, v, states, params, celsius):
        return {"carev": carev_mV(params["cai"], params["cao"], celsius) + 0.0 * v}

    def species_currents(self, v, states, params, celsius):
        carev = carev_mV(params["cai"], params["cao"], celsius)
        m, h = states["m"], states["h"]
        return {"ca": params["gcabar"] * m * m * h * (v - carev)}
