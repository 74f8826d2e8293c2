"""Analysis of recorded traces (pure NumPy): spike detection.

Times in ms, voltages in mV (NEURON's units).
"""

from __future__ import annotations

import math

import numpy as np


def spike_times(
    t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = 0.0
) -> np.ndarray | list[np.ndarray]:
    """Times (ms) at which ``v`` crosses ``threshold_mV`` upwards, linearly interpolated.

    A crossing between samples ``k`` and ``k + 1`` is ``v[k] < threshold_mV <= v[k + 1]``; its
    time is where the straight line between the two samples meets the threshold. This is the
    rule of ``dendrax simulate``'s ``spikes__<key>`` arrays and of the NEURON reference cases.

    Args:
        t_ms: sample times (ms), 1-D, strictly increasing, e.g. ``result.t``.
        v_mV: membrane potential (mV): one trace of the same length as ``t_ms`` (1-D), or
            several traces stacked in a 2-D array ``(n_traces, len(t_ms))`` with time on the
            last axis (e.g. a batch from ``jax.vmap``).
        threshold_mV: detection threshold (mV), default 0 mV.

    Returns:
        For a 1-D ``v_mV``: a 1-D float64 array of spike times (ms), empty if there is none.
        For a 2-D ``v_mV``: a list with one such array per trace (traces may differ in their
        number of spikes).

    Example::

        result = dx.simulate(system)
        dx.spike_times(result.t, result["v_soma"])  # e.g. array([3.61, 18.05]) ms
    """
    t = np.asarray(t_ms, dtype=np.float64)
    v = np.asarray(v_mV, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(
            f"spike_times(t_ms=...): t_ms must be 1-D (one time per sample, ms), got shape "
            f"{t.shape}."
        )
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise ValueError(
            "spike_times(t_ms=...): t_ms must be strictly increasing (ms); pass the times of "
            "the samples in order, e.g. result.t."
        )
    if v.ndim not in (1, 2) or v.shape[-1] != t.size:
        raise ValueError(
            f"spike_times(v_mV=...): v_mV has shape {v.shape}; give a 1-D trace of "
            f"len(t_ms)={t.size} samples, or a 2-D array (n_traces, {t.size}) with time on "
            "the last axis."
        )
    try:
        thr = float(threshold_mV)
    except (TypeError, ValueError):
        raise ValueError(
            f"spike_times(threshold_mV={threshold_mV!r}): give the threshold as a number (mV)."
        ) from None
    if not math.isfinite(thr):
        raise ValueError(f"spike_times(threshold_mV={threshold_mV}): must be finite (mV).")
    if v.ndim == 2:
        return [_crossings(t, row, thr) for row in v]
    return _crossings(t, v, thr)


def _crossings(t: np.ndarray, v: np.ndarray, thr: float) -> np.ndarray:
    k = np.flatnonzero((v[:-1] < thr) & (v[1:] >= thr))
    frac = (thr - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])
