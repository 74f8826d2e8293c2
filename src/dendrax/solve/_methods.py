"""Time-stepping methods, exactly as NEURON's fixed-step integrator applies them.

Each step linearises the membrane current at the present state and solves the implicit cable
system for the voltage change (Hines 1984). Gates then advance by exponential Euler at the new
voltage (NEURON's ``cnexp``), and stimuli are evaluated at the step midpoint.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class BackwardEuler:
    """First-order implicit Euler (NEURON ``secondorder = 0``)."""

    dt_factor: float = dataclasses.field(default=1.0, init=False)
    extrapolation: float = dataclasses.field(default=1.0, init=False)


@dataclasses.dataclass(frozen=True)
class CrankNicolson:
    """Second-order Crank-Nicolson (NEURON ``secondorder = 2``): an implicit half step to
    ``V^{n+1/2}``, then ``V^{n+1} = 2 V^{n+1/2} - V^n``."""

    dt_factor: float = dataclasses.field(default=0.5, init=False)
    extrapolation: float = dataclasses.field(default=2.0, init=False)


Method = BackwardEuler | CrankNicolson
