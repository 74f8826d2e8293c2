"""Artificial spike sources (NEURON's NetStim, explicit spike lists, per-call spike trains) and
the rule that puts an event's delivery time on the time grid.

Pure NumPy, run once at model-build time. Times in ms. A source's events reach synapses through
connections, with delivery time ``t_d = t_event + delay`` (NETWORK_FORMAT.md, "Sources" and
"Events and time stepping").
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._connectivity import whole_number


def _real(owner: str, name: str, value: object, unit: str) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    if not ok or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ValueError(f"{owner}: {name}={value!r} must be a finite number ({unit}).")
    return float(value)  # type: ignore[arg-type]


def _sequential_sum(first: float, steps: np.ndarray) -> np.ndarray:
    """``first, first + steps[0], (first + steps[0]) + steps[1], ...``: repeated double
    addition, one at a time (``np.cumsum`` is sequential, not pairwise)."""
    return np.cumsum(np.concatenate([[first], steps]))


@dataclasses.dataclass(frozen=True)
class NetStim:
    """NEURON's ``NetStim``: ``number`` events, the first at ``start_ms``, then every
    ``interval_ms`` (ms).

    With ``noise = 0`` the times are NEURON's to the last bit: ``s_0 = (start + interval) −
    interval``, then ``s_k = s_{k−1} + interval`` by repeated double-precision addition. Nothing
    is emitted if ``number == 0`` or ``start_ms < 0``.

    With ``0 < noise <= 1`` it follows NEURON's ``netstim.mod``: every interval is
    ``(1 − noise)·interval + noise·interval·E`` with ``E ~ Exp(1)`` (mean ``interval``), and the
    first event is ``(start + first interval) − (1 − noise)·interval``, i.e. ``start`` plus
    ``noise·interval·E`` (mean ``start + noise·interval``; never before 0). ``noise = 1`` is a
    Poisson train of rate ``1/interval`` starting at ``start``. The exponentials come from
    ``np.random.default_rng(seed)``, so ``seed`` is required; NEURON draws from its own
    Random123 streams, so only the statistics match NEURON's, never the individual times.

    Args:
        start_ms: time of the first event (ms; mean time of the first event with noise).
        interval_ms: interval between events (ms), > 0; the mean interval with noise.
        number: how many events (a non-negative whole number; ``5.0`` is accepted).
        noise: 0 (regular) to 1 (Poisson).
        seed: non-negative integer seed of the exponential draws; required when noise > 0.
    """

    start_ms: float
    interval_ms: float
    number: int
    noise: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_ms", _real("NetStim", "start_ms", self.start_ms, "ms"))
        interval = _real("NetStim", "interval_ms", self.interval_ms, "ms")
        if interval <= 0:
            raise ValueError(f"NetStim: interval_ms={interval} must be > 0 ms.")
        object.__setattr__(self, "interval_ms", interval)
        object.__setattr__(self, "number", whole_number("NetStim", "number", self.number))
        noise = _real("NetStim", "noise", self.noise, "between 0 and 1")
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"NetStim: noise={noise} must lie in [0, 1] (0 regular, 1 Poisson).")
        object.__setattr__(self, "noise", noise)
        if self.seed is not None:
            object.__setattr__(self, "seed", whole_number("NetStim", "seed", self.seed))
        elif noise > 0:
            raise ValueError(
                f"NetStim: noise={noise} needs a seed, e.g. NetStim(..., seed=0), so that the "
                "random train is reproducible."
            )

    def event_times(self, t_stop_ms: float) -> np.ndarray:
        """The event times (float64, ms, non-decreasing) up to and including ``t_stop_ms``;
        at most ``number`` of them. With noise, the times before any ``t_stop_ms`` do not
        depend on ``t_stop_ms``."""
        t_stop = _real("NetStim.event_times", "t_stop_ms", t_stop_ms, "ms")
        if self.number == 0 or self.start_ms < 0:
            return np.zeros(0)
        interval, noise = self.interval_ms, self.noise
        rng = np.random.default_rng(self.seed) if noise > 0 else None
        regular = (1.0 - noise) * interval  # NEURON's interval*(1 - noise)

        def intervals(size: int) -> np.ndarray:
            if rng is None:
                return np.full(size, interval)
            return regular + (noise * interval) * rng.standard_exponential(size)

        first = (self.start_ms + intervals(1)[0]) - regular
        pieces = [np.array([max(first, 0.0)])]
        count, last = 1, pieces[0][0]
        # Draw in chunks sized to reach t_stop; the loop rarely runs more than twice.
        while count < self.number and last <= t_stop:
            guess = (t_stop - last) / interval
            size = min(self.number - count, int(guess + 4.0 * math.sqrt(guess + 1.0)) + 8)
            more = _sequential_sum(last, intervals(size))[1:]
            pieces.append(more)
            count, last = count + size, more[-1]
        times = np.concatenate(pieces)
        return times[times <= t_stop]


@dataclasses.dataclass(frozen=True, eq=False)
class SpikeTimes:
    """Events at explicit times ``t_ms`` (ms): 1-D, finite, >= 0 and non-decreasing; repeated
    times are separate events. Compares by identity."""

    t_ms: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.t_ms)
        if (
            t.ndim != 1
            or not (t.size == 0 or np.issubdtype(t.dtype, np.number))
            or (t.dtype == np.bool_ or np.iscomplexobj(t))
        ):
            raise ValueError(
                f"SpikeTimes: t_ms must be a 1-D array of times in ms (got shape {t.shape}, "
                f"dtype {t.dtype})."
            )
        t = t.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
        if bad.size:
            raise ValueError(
                f"SpikeTimes: t_ms[{bad[0]}] is {t[bad[0]]}; every time must be finite and >= 0 ms."
            )
        down = np.flatnonzero(np.diff(t) < 0)
        if down.size:
            k = int(down[0]) + 1
            raise ValueError(
                f"SpikeTimes: t_ms[{k}]={t[k]} is earlier than t_ms[{k - 1}]={t[k - 1]}; the "
                "times must be non-decreasing (sort them)."
            )
        t.setflags(write=False)
        object.__setattr__(self, "t_ms", t)

    def event_times(self, t_stop_ms: float) -> np.ndarray:
        """The times (float64, ms) up to and including ``t_stop_ms``."""
        t_stop = _real("SpikeTimes.event_times", "t_stop_ms", t_stop_ms, "ms")
        return self.t_ms[self.t_ms <= t_stop].copy()


@dataclasses.dataclass(frozen=True)
class SpikeInput:
    """A spike train given per call to ``simulate`` under ``name`` (like
    :class:`~dendrax.model._stimuli.CurrentInput` for currents), so that one compiled system
    runs with many trains. It has no ``event_times``: its times (ms) are not known when the model
    is built."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(
                f"SpikeInput(name={self.name!r}): give a name made of letters, digits and _ "
                "(it is the key of simulate's inputs)."
            )


Source = NetStim | SpikeTimes | SpikeInput


def delivery_slots(t_d_ms: np.ndarray, dt_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """The step at which each event acts (NETWORK_FORMAT.md, rule 3).

    An event with delivery time ``t_d`` (ms) is delivered just before the step that starts at
    ``t_m = m·dt``, with ``m = ⌈t_d/dt − 1/2⌉``: the grid time nearest to ``t_d``, i.e.
    ``t_d ∈ (t_m − dt/2, t_m + dt/2]``. Ties, ``t_d`` exactly at ``t_m + dt/2`` in this
    floating-point arithmetic, go to the earlier slot m (the rule's closed bound ``t_d <= t_n +
    dt/2``); NEURON decides them by round-off (its accumulated t and the +1e-10 ms on spike
    times), often the other way, so models should keep delivery times away from half steps.

    Returns:
        ``(slot, at_init)``: int64 slots m >= 0, and a bool array that is True where
        ``t_d == 0`` exactly. Those events are delivered during initialisation, so they are
        already in the synaptic state recorded at t = 0; the others with slot 0 are delivered at
        the start of the first step. Both act from the step 0 -> 1.
    """
    dt = _real("delivery_slots", "dt_ms", dt_ms, "ms")
    if dt <= 0:
        raise ValueError(f"delivery_slots: dt_ms={dt} must be > 0 ms.")
    t = np.asarray(t_d_ms)
    if (
        t.ndim != 1
        or not (t.size == 0 or np.issubdtype(t.dtype, np.number))
        or (t.dtype == np.bool_ or np.iscomplexobj(t))
    ):
        raise ValueError(
            f"delivery_slots: t_d_ms must be a 1-D array of delivery times in ms "
            f"(got shape {t.shape}, dtype {t.dtype})."
        )
    t = t.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        raise ValueError(
            f"delivery_slots: t_d_ms[{bad[0]}] is {t[bad[0]]}; delivery times must be finite "
            "and >= 0 ms (delays are >= 0)."
        )
    slot = np.ceil(t / dt - 0.5).astype(np.int64)
    return slot, t == 0.0
