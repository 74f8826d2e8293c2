"""NEURON's built-in passive leak ``pas``."""

from __future__ import annotations

from .._base import Channel


class Pas(Channel):
    """Passive leak (NEURON's ``pas``): ``i = g (v - e)`` (mA/cm²); g in S/cm², e in mV."""

    name = "pas"
    parameters = {"g": (0.001, "S/cm^2"), "e": (-70.0, "mV")}
    states = ()

    def current(self, v, states, params, celsius):
        return params["g"] * (v - params["e"])
