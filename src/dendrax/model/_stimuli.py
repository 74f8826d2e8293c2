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


@dataclasses.dataclass(frozen=True)
class SEClamp:
    """A single-electrode voltage clamp (NEURON's ``SEClamp``): the command ``vc`` (mV) behind
    a series resistance ``rs_MOhm`` (MΩ, > 0), solved implicitly with the cable equation.

    The command of the step ``t_n -> t_n + dt`` is chosen at its midpoint: ``amp1_mV`` while
    ``t < dur1_ms``, ``amp2_mV`` while ``t < dur1_ms + dur2_ms``, ``amp3_mV`` while
    ``t < dur1_ms + dur2_ms + dur3_ms``, then the clamp is off (no current, the cell runs
    free). The clamp current ``i = (vc - v)/rs`` (nA, positive into the cell, like an IClamp)
    is recordable: ``cell.record("i", at, mechanism=key)`` with the ``key`` given to
    ``cell.stimulate``. Defaults are NEURON's (rs = 1 MΩ, all durations 0).
    """

    rs_MOhm: float = 1.0
    dur1_ms: float = 0.0
    amp1_mV: float = 0.0
    dur2_ms: float = 0.0
    amp2_mV: float = 0.0
    dur3_ms: float = 0.0
    amp3_mV: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.floating, np.integer))
                or not np.isfinite(value)
            ):
                raise ValueError(f"SEClamp.{field.name}={value!r} must be a finite number.")
        if self.rs_MOhm <= 0:
            raise ValueError(
                f"SEClamp.rs_MOhm={self.rs_MOhm} must be > 0 MΩ (the series resistance; "
                "NEURON's default is 1 MΩ, whole-cell recordings are typically 5-20 MΩ)."
            )
        for k in (1, 2, 3):
            if getattr(self, f"dur{k}_ms") < 0:
                raise ValueError(f"SEClamp.dur{k}_ms={getattr(self, f'dur{k}_ms')} must be >= 0.")

    @classmethod
    def levels(cls, steps, rs_MOhm: float = 1.0) -> SEClamp:
        """A clamp from up to three ``(amp_mV, dur_ms)`` levels, e.g.
        ``SEClamp.levels([(-80, 10), (-20, 10), (-50, 10)], rs_MOhm=0.1)``."""
        steps = list(steps)
        if not 1 <= len(steps) <= 3:
            raise ValueError(
                f"SEClamp.levels: give one to three (amp_mV, dur_ms) levels, got {len(steps)} "
                "(NEURON's SEClamp has three)."
            )
        kw: dict[str, float] = {}
        for k, (amp, dur) in enumerate(steps, start=1):
            kw[f"amp{k}_mV"], kw[f"dur{k}_ms"] = amp, dur
        return cls(rs_MOhm=rs_MOhm, **kw)

    def command(self, t_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(vc_mV, on)`` at times ``t_ms`` (the step midpoints)."""
        t = np.asarray(t_ms, dtype=np.float64)
        e1 = self.dur1_ms
        e2 = e1 + self.dur2_ms
        e3 = e2 + self.dur3_ms
        vc = np.where(t < e1, self.amp1_mV, np.where(t < e2, self.amp2_mV, self.amp3_mV))
        on = (t < e3).astype(np.float64)
        return np.where(on > 0, vc, 0.0), on


Stimulus = IClamp | Waveform


def step_midpoints(dt_ms: float, n_steps: int) -> np.ndarray:
    """``t_n + dt/2`` for n = 0..n_steps-1 (ms), computed as NEURON's ``(n + 1/2) dt``."""
    return (np.arange(n_steps, dtype=np.float64) + 0.5) * dt_ms
