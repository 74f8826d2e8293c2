"""Clear errors instead of silent NaNs: checks for diverged simulations and non-finite gradients.

These are host-side checks (they read values back from the device), for use between jitted
calls: after a simulation (:func:`check_finite`) and at every step of :func:`dendrax.fit`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class SimulationDiverged(FloatingPointError):
    """A simulation, a loss or a gradient became NaN or infinite.

    Attributes:
        step: the optimisation step at which it happened (None outside a fit).
        params: the physical parameter values in use then (None if unknown).
        history: the losses of the steps before (a NumPy array; empty if none).
    """

    def __init__(self, message: str, *, step=None, params=None, history=None) -> None:
        super().__init__(message)
        self.step = step
        self.params = params
        self.history = np.asarray([] if history is None else history, dtype=np.float64)


def _first_bad_time(values: np.ndarray, t_ms: np.ndarray | None) -> str:
    bad = ~np.isfinite(values)
    k = int(np.argmax(bad.reshape(-1, bad.shape[-1]).any(axis=0)))
    return f"sample {k}" if t_ms is None else f"t = {float(np.asarray(t_ms)[k]):g} ms"


def check_finite(traces, t_ms=None, *, what: str = "the simulation") -> None:
    """Raise :class:`SimulationDiverged` if any recorded trace holds NaN or inf.

    Args:
        traces: a :class:`dendrax.Result` or a mapping ``{key: array}`` (time on the last axis).
        t_ms: sample times (ms) to say when it first diverged; taken from a Result.
        what: how to name the run in the message.
    """
    if hasattr(traces, "traces") and hasattr(traces, "t"):
        t_ms = traces.t if t_ms is None else t_ms
        traces = traces.traces
    if not isinstance(traces, Mapping):
        raise TypeError("check_finite takes a dendrax.Result or a mapping {key: trace}.")
    bad = {}
    for key, value in traces.items():
        arr = np.asarray(value)
        if not np.all(np.isfinite(arr)):
            bad[key] = _first_bad_time(arr, t_ms)
    if bad:
        where = ", ".join(f"{k!r} from {when}" for k, when in bad.items())
        raise SimulationDiverged(
            f"{what} diverged: NaN/inf in {where}. Reduce dt_ms, or bring the parameters back "
            "into a physiological range (bound them with Sigmoid/Softplus transforms)."
        )


def describe_nonfinite(
    loss: float, grad_finite: Mapping[str, bool], params: Mapping, step: int
) -> str:
    """The message of a fit step whose loss or gradient is not finite."""
    lines = [f"the fit diverged at step {step}:"]
    if not np.isfinite(loss):
        lines.append(f"  the loss is {loss} (the simulation or the loss produced NaN/inf);")
    bad = sorted(k for k, ok in grad_finite.items() if not ok)
    if bad:
        lines.append(f"  non-finite gradient of {bad};")
    lines.append("  parameter values (physical units) at that step:")
    for name, value in params.items():
        arr = np.asarray(value)
        if arr.size == 1:
            shown = f"{float(arr.reshape(-1)[0]):.6g}"
        else:
            shown = np.array2string(arr, precision=5, threshold=8)
        lines.append(f"    {name} = {shown}")
    lines.append(
        "Bound the parameters to a physiological range (Sigmoid/Softplus transforms), lower the "
        "learning rate, or reduce dt_ms. The exception's .params and .history hold the values."
    )
    return "\n".join(lines)
