"""NEURON's built-in ``Exp2Syn``: a difference of two exponentials, peak-normalised."""

from __future__ import annotations

import warnings

import jax.numpy as jnp

from .._base import PointMechanism


def effective_tau1(tau1, tau2):
    """NEURON's INITIAL block: ``tau1/tau2 > 0.9999`` -> ``0.9999 tau2``; ``< 1e-9`` ->
    ``1e-9 tau2``; otherwise ``tau1`` (ms)."""
    ratio = tau1 / tau2
    return jnp.where(ratio > 0.9999, 0.9999 * tau2, jnp.where(ratio < 1e-9, 1e-9 * tau2, tau1))


def peak_factor(tau1, tau2):
    """The factor ``f`` that makes a lone event of weight ``w`` peak at ``g = w``:
    ``tp = tau1 tau2 / (tau2 - tau1) ln(tau2 / tau1)``, ``f = 1 / (exp(-tp/tau2) -
    exp(-tp/tau1))``, with the effective ``tau1`` (NETWORK_FORMAT.md, exp2syn)."""
    t1 = effective_tau1(tau1, tau2)
    tp = t1 * tau2 / (tau2 - t1) * jnp.log(tau2 / t1)
    return 1.0 / (jnp.exp(-tp / tau2) - jnp.exp(-tp / t1))


class Exp2Syn(PointMechanism):
    """Dual-exponential conductance synapse (NEURON's ``Exp2Syn``).

    ``g = B - A`` (µS), ``i = g (v - e)`` (nA, outward positive), ``dA/dt = -A / tau1``,
    ``dB/dt = -B / tau2``; an event of weight ``w`` (µS) adds ``w f`` to both ``A`` and ``B``,
    with ``f`` the peak normalisation (:func:`peak_factor`), so that a lone event peaks at
    ``g = w``. Parameters: ``tau1`` (rise, ms) < ``tau2`` (decay, ms), ``e`` (mV). As in NEURON,
    ``tau1 >= 0.9999 tau2`` is replaced by ``0.9999 tau2`` (a warning says so) and
    ``tau1 < 1e-9 tau2`` by ``1e-9 tau2``. Decays are exact (``cnexp``). Source: NEURON's
    ``exp2syn.mod``; event timing: ``NETWORK_FORMAT.md``.
    """

    name = "Exp2Syn"
    parameters = {"tau1": (0.1, "ms"), "tau2": (10.0, "ms"), "e": (0.0, "mV")}
    states = ("A", "B")
    derived = ("g",)
    negative_weights = False

    def __init__(self, **values: float) -> None:
        super().__init__(**values)  # type: ignore[arg-type]
        tau1, tau2 = self.values["tau1"], self.values["tau2"]
        if tau1 < 0 or tau2 <= 0:
            raise ValueError(
                f"Exp2Syn: tau1={tau1} must be >= 0 ms and tau2={tau2} > 0 ms (tau1 = 0 acts "
                "as 1e-9*tau2, an instantaneous rise, as in NEURON)."
            )
        if tau1 / tau2 > 0.9999:
            warnings.warn(
                f"Exp2Syn(tau1={tau1}, tau2={tau2}): tau1 must be < tau2 (rise faster than "
                "decay). NEURON replaces tau1 by 0.9999*tau2 (an alpha-like synapse), and so "
                "does dendrax; give tau1 < tau2 to silence this.",
                UserWarning,
                stacklevel=4,
            )

    def init_states(self, v, params, celsius):
        zero = jnp.zeros_like(v)
        return {"A": zero, "B": zero}

    def update(self, v, states, params, dt, celsius):
        tau1 = effective_tau1(params["tau1"], params["tau2"])
        return {
            "A": states["A"] * jnp.exp(-dt / tau1),
            "B": states["B"] * jnp.exp(-dt / params["tau2"]),
        }

    def observe(self, states, params):
        return {"g": states["B"] - states["A"]}

    def current(self, v, states, params, celsius):
        return (states["B"] - states["A"]) * (v - params["e"])

    def on_event(self, states, params, weight):
        f = peak_factor(params["tau1"], params["tau2"])
        return {"A": states["A"] + weight * f, "B": states["B"] + weight * f}
