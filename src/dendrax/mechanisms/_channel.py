"""The base class of membrane mechanisms (ion channels, leaks) and how to write your own.

A channel declares its parameters (with defaults and units) and its states, and implements two
pure functions of JAX arrays:

- ``gates(v, params, celsius) -> {state: (inf, tau)}``: steady state (dimensionless) and time
  constant (ms) of every gating state at membrane potential ``v`` (mV). The default
  :meth:`Channel.update` integrates these by exponential Euler, as NEURON does for
  ``cnexp``-style gates: ``x <- x + (1 - exp(-dt/tau)) (inf - x)``.
- ``current(v, states, params, celsius) -> i``: the membrane current density (mA/cm²,
  positive outward).

The simulator linearises ``current`` in ``v`` at every step (exactly, with a JVP), which is what
NEURON's implicit step does with the conductance ``di/dv``.

Example (a potassium channel with one gate; see docs/channels.md)::

    class Kslow(dendrax.Channel):
        name = "kslow"
        parameters = {"gbar": (0.003, "S/cm^2"), "ek": (-90.0, "mV")}
        states = ("n",)

        def gates(self, v, p, celsius):
            inf = 1.0 / (1.0 + jnp.exp(-(v + 35.0) / 10.0))
            tau = 100.0 / (1.0 + jnp.exp(-(v + 50.0) / 20.0))
            return {"n": (inf, tau)}

        def current(self, v, s, p, celsius):
            return p["gbar"] * s["n"] * (v - p["ek"])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp

Array = Any


class Channel:
    """Base class of density mechanisms. Subclass it; instances carry parameter values.

    Class attributes to set:
        name: short unique name (as in NEURON's ``SUFFIX``), used in model files and records.
        parameters: ``{param: (default, unit)}``.
        states: names of the state variables.

    ``Channel(**values)`` overrides defaults; unknown names raise a ``ValueError`` that lists the
    valid ones.
    """

    name: ClassVar[str] = ""
    parameters: ClassVar[Mapping[str, tuple[float, str]]] = {}
    states: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **values: float) -> None:
        if not self.name:
            raise TypeError(f"{type(self).__name__} must set the class attribute `name`.")
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter(s) {unknown}; valid parameters are "
                f"{sorted(self.parameters)}."
            )
        merged = {k: float(d) for k, (d, _) in self.parameters.items()}
        for k, v in values.items():
            try:
                merged[k] = float(v)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{type(self).__name__}: parameter {k!r} must be a number, got {v!r}."
                ) from None
            if not math.isfinite(merged[k]):
                raise ValueError(f"{type(self).__name__}: parameter {k!r} must be finite.")
        self.values: dict[str, float] = merged

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"{type(self).__name__}({args})"

    # --- physics: pure functions of arrays; override these -----------------------------------

    def gates(self, v: Array, params: Mapping[str, Array], celsius: Array) -> dict:
        """``{state: (inf, tau_ms)}`` at voltage ``v`` (mV). Override for gated channels."""
        return {}

    def current(
        self, v: Array, states: Mapping[str, Array], params: Mapping[str, Array], celsius: Array
    ) -> Array:
        """Membrane current density (mA/cm², outward positive). Must be overridden."""
        raise NotImplementedError(f"{type(self).__name__} must implement current().")

    def init_states(
        self, v: Array, params: Mapping[str, Array], celsius: Array
    ) -> dict[str, Array]:
        """Initial states: steady state at ``v``. Override for states that are not gates."""
        g = self.gates(v, params, celsius)
        missing = [s for s in self.states if s not in g]
        if missing:
            raise NotImplementedError(
                f"{type(self).__name__}: states {missing} have no (inf, tau) in gates(); "
                "override init_states() and update() for them."
            )
        return {s: g[s][0] for s in self.states}

    def update(
        self,
        v: Array,
        states: Mapping[str, Array],
        params: Mapping[str, Array],
        dt: Array,
        celsius: Array,
    ) -> dict[str, Array]:
        """Advance the states by ``dt`` (ms) at voltage ``v``: exponential Euler on the gates."""
        if not self.states:
            return {}
        g = self.gates(v, params, celsius)
        out = {}
        for s in self.states:
            inf, tau = g[s]
            out[s] = states[s] + (1.0 - jnp.exp(-dt / tau)) * (inf - states[s])
        return out
