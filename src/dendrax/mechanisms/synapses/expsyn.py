"""NEURON's built-in ``ExpSyn``: a conductance that jumps by the event weight and decays."""

from __future__ import annotations

import jax.numpy as jnp

from .._base import PointMechanism


class ExpSyn(PointMechanism):
    """Single-exponential conductance synapse (NEURON's ``ExpSyn``).

    ``i = g (v - e)`` (nA, outward positive), ``dg/dt = -g / tau``; an event of weight ``w``
    (µS) does ``g <- g + w``. Parameters: ``tau`` (ms), ``e`` (mV). State: ``g`` (µS).
    Between events the decay is integrated exactly (NEURON's ``cnexp`` is exact for it):
    ``g <- g exp(-dt / tau)``. Source: NEURON's ``expsyn.mod``; the event timing is
    ``NETWORK_FORMAT.md``, "Events and time stepping".
    """

    name = "ExpSyn"
    parameters = {"tau": (0.1, "ms"), "e": (0.0, "mV")}
    states = ("g",)
    negative_weights = False

    def __init__(self, **values: float) -> None:
        super().__init__(**values)  # type: ignore[arg-type]
        if self.values["tau"] <= 0:
            raise ValueError(f"ExpSyn: tau={self.values['tau']} must be > 0 ms.")

    def init_states(self, v, params, celsius):
        return {"g": jnp.zeros_like(v)}

    def update(self, v, states, params, dt, celsius):
        return {"g": states["g"] * jnp.exp(-dt / params["tau"])}

    def current(self, v, states, params, celsius):
        return states["g"] * (v - params["e"])

    def on_event(self, states, params, weight):
        return {"g": states["g"] + weight}
