"""Current-clamp stimuli: descriptions, and their values at the step midpoints.

Currents in nA, positive = depolarising (injected into the cell); times in ms. As in NEURON's
fixed-step integrator, the current used for the step ``t_n -> t_n + dt`` is ``I(t_n + dt/2)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class IClamp:
    """A current step: ``amp_nA`` while ``delay_ms <= t < delay_ms + dur_ms`` (NEURON IClamp)."""

    delay_ms: float
    dur_ms: float
    amp_nA: float

    def __post_init__(self) -> None:
        for field in ("delay_ms", "dur_ms", "amp_nA"):
            value = getattr(self, field)
            if not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(
                value
            ):
                raise ValueError(f"IClamp.{field}={value!r} must be a finite number.")
        if self.dur_ms < 0:
            raise ValueError(f"IClamp.dur_ms={self.dur_ms} must be >= 0 ms.")

    def at(self, t_ms: np.ndarray) -> np.ndarray:
        t = np.asarray(t_ms, dtype=np.float64)
        on = (t >= self.delay_ms) & (t < self.delay_ms + self.dur_ms)
        return np.where(on, float(self.amp_nA), 0.0)


@dataclasses.dataclass(frozen=True)
class Waveform:
    """A sampled current, linearly interpolated between samples (held constant outside them).

    ``t_ms`` must be increasing; ``i_nA`` has one value per sample.
    """

    t_ms: np.ndarray
    i_nA: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.t_ms, dtype=np.float64)
        i = np.asarray(self.i_nA, dtype=np.float64)
        if t.ndim != 1 or t.size < 1 or i.shape != t.shape:
            raise ValueError(
                f"Waveform: t_ms and i_nA must be 1-D and of equal length "
                f"(got shapes {t.shape} and {i.shape})."
            )
        if not np.all(np.isfinite(t)):
            raise ValueError("Waveform.t_ms contains NaN or inf; give finite sample times (ms).")
        if not np.all(np.isfinite(i)):
            bad = int(np.flatnonzero(~np.isfinite(i))[0])
            raise ValueError(
                f"Waveform.i_nA[{bad}] is {i[bad]}; every sampled current must be finite (nA)."
            )
        if np.any(np.diff(t) < 0):
            raise ValueError("Waveform.t_ms must be non-decreasing.")
        object.__setattr__(self, "t_ms", t)
        object.__setattr__(self, "i_nA", i)

    def at(self, t_ms: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(t_ms, dtype=np.float64), self.t_ms, self.i_nA)


@dataclasses.dataclass(frozen=True)
class CurrentInput:
    """A current clamp whose waveform is given per call: ``simulate(system, inputs={name: i})``
    with ``i`` the current (nA, depolarising) of every step, shape ``(n_steps,)``, taken as
    the value at the step midpoint (``system.step_midpoints_ms()``). Batch with ``jax.vmap``;
    gradients flow into it. Placing one name at several locations injects it into each."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(
                f"CurrentInput(name={self.name!r}): give a name made of letters, digits and _ "
                "(it is the key of simulate's inputs)."
            )


Stimulus = IClamp | Waveform


def step_midpoints(dt_ms: float, n_steps: int) -> np.ndarray:
    """``t_n + dt/2`` for n = 0..n_steps-1 (ms), computed as NEURON's ``(n + 1/2) dt``."""
    return (np.arange(n_steps, dtype=np.float64) + 0.5) * dt_ms
