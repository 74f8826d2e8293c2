"""``it``: the low-threshold T-type Ca2+ current (Huguenard & McCormick 1992, with the shift
``V_x``) of Pospischil et al. (2008).

Paper: Pospischil et al. (2008) Biol Cybern 99:427-441 (``I_T``). NEURON names: ModelDB
123623, ``IT_huguenard.mod`` (A. Destexhe 1993/1995; SUFFIX ``it``, RANGE ``gcabar``,
``shift``; GLOBAL ``q10``).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ..._gates import exponential_euler
from ._nernst import carev_mV


def cat_phi_h(q10, celsius):
    """``IT_huguenard.mod``'s ``phi_h = q10^((celsius - 24)/10)`` (3.74 at 36 °C for q10 = 3)."""
    return q10 ** ((celsius - 24.0) / 10.0)


def cat_rates(v, shift, phi_h):
    """``(m∞, h∞, τh)`` at ``v`` (mV) with ``Vm = v + shift``:
    ``m∞ = 1/(1 + exp(-(Vm + 57)/6.2))``, ``h∞ = 1/(1 + exp((Vm + 81)/4))``,
    ``τh = (30.8 + (211.4 + exp((Vm + 113.2)/5))/(1 + exp((Vm + 84)/3.2)))/phi_h`` (ms)."""
    vm = v + shift
    m_inf = 1.0 / (1.0 + jnp.exp(-(vm + 57.0) / 6.2))
    h_inf = 1.0 / (1.0 + jnp.exp((vm + 81.0) / 4.0))
    tau_h = 30.8 + (211.4 + jnp.exp((vm + 113.2) / 5.0)) / (1.0 + jnp.exp((vm + 84.0) / 3.2))
    return m_inf, h_inf, tau_h / phi_h


class CaT(Channel):
    """T-type Ca2+ current of Pospischil et al. (2008) (NEURON's ``it``, ``IT_huguenard.mod``).

    ``ica = gcabar m∞² h (v - carev)`` (mA/cm²; into the Ca2+ total), ``carev =
    Nernst(cai, cao)`` at ``celsius`` from the ion's concentrations, ``h`` by ``cnexp`` on
    :func:`cat_rates`. Parameters ``gcabar`` (S/cm²), ``shift`` (mV, the paper's ``V_x``),
    ``q10`` (NEURON GLOBAL); reads cai, cao (mM).

    States h and ``m_inf``. As in the mod file, the activation ``m∞`` in the current is not
    recomputed with the voltage: it is the value of the last state update (``m∞`` at the
    voltage of the start of the step), so ``di/dv`` (NEURON's implicit step) holds it fixed.
    Keeping it as a state gives exactly that.

    Where the mod file differs from the paper, this follows the mod file (NEURON):
    - ``τh`` is divided by ``phi_h = q10^((celsius - 24)/10)`` (3.74 at 36 °C; the paper writes
      the constant 3.7);
    - ``INITIAL`` sets ``h = 0`` and does not compute ``m∞`` (0 in a fresh NEURON run; the
      current at t = 0 is 0 either way);
    - ``carev`` uses the ion's ``cai``/``cao`` (NEURON's defaults 5e-5/2 mM unless set;
      the mod file's PARAMETER ``cai = 2.4e-4`` is overridden by the ion).
    """

    name = "it"
    order_name = "IT_huguenard"
    parameters = {"gcabar": (0.002, "S/cm^2"), "shift": (2.0, "mV"), "q10": (3.0, "1")}
    states = ("h", "m_inf")
    ion_reads = ("cai", "cao")
    global_parameters = ("q10",)

    def _rates(self, v, params, celsius):
        return cat_rates(v, params["shift"], cat_phi_h(params["q10"], celsius))

    def gates(self, v, params, celsius):
        _, h_inf, tau_h = self._rates(v, params, celsius)
        return {"h": (h_inf, tau_h)}

    def init_states(self, v, params, celsius):
        zero = 0.0 * v
        return {"h": zero, "m_inf": zero}

    def update(self, v, states, params, dt, celsius):
        m_inf, h_inf, tau_h = self._rates(v, params, celsius)
        return {"h": exponential_euler(states["h"], h_inf, tau_h, dt), "m_inf": m_inf}

    def species_currents(self, v, states, params, celsius):
        carev = carev_mV(params["cai"], params["cao"], celsius)
        m = states["m_inf"]
        return {"ca": params["gcabar"] * m * m * states["h"] * (v - carev)}
