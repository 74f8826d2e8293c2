"""Windowed features of recorded traces: the mean, standard deviation and soft spike count of a
trace in consecutive time windows; pure JAX, usable under jit/grad/vmap.

These are the features of the default loss of ``dendrax fit`` (docs/fitting.md). Unlike the
sample-by-sample trace MSE, they change smoothly when a spike moves by a little: a spike that is
1 ms late in a 5 ms window leaves that window's mean and standard deviation nearly unchanged,
while the trace MSE sees two full-height errors (the missing spike and the extra one) and its
gradient points nowhere useful. With the windowed features the descent keeps moving from starts
whose spikes are far from the target's.

Windows are ``[t0 + k·width, t0 + (k+1)·width)`` for ``k = 0, 1, ...`` (ms), where ``t0`` is
the start of ``window_ms`` (default: the first sample); a last window shorter than half the
width is merged into the one before it, so every window holds a comparable number of samples.
The assignment of samples to windows is computed from the sample times with NumPy when the
function is called (the times are constants of the recording, not traced values), so each
feature costs one pass over the trace (``jax.ops.segment_sum``) whatever the number of windows.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array
FEATURES = ("mean", "std", "spike_count")


def window_index(t_ms, width_ms: float, window_ms=None) -> tuple[np.ndarray, int]:
    """``(index, n_windows)``: the window of every sample (``-1`` outside ``window_ms``).

    Args:
        t_ms: the sample times (ms), 1-D, increasing (NumPy or a concrete JAX array).
        width_ms: window width (ms), > 0.
        window_ms: ``(start, stop)`` (ms, inclusive) restricting the windows, or None (all).
    """
    t = np.asarray(t_ms, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"window_index: t_ms must be 1-D sample times (ms), got shape {t.shape}.")
    if not (isinstance(width_ms, (int, float)) and math.isfinite(width_ms) and width_ms > 0):
        raise ValueError(f"width_ms={width_ms!r}: give the window width in ms, > 0.")
    lo, hi = (float(t[0]), float(t[-1])) if window_ms is None else map(float, window_ms)
    inside = (t >= lo) & (t <= hi)
    if not np.any(inside):
        raise ValueError(
            f"window_ms={window_ms}: no sample lies inside; the trace covers {t[0]:g}-{t[-1]:g} ms."
        )
    span = hi - lo
    n = max(1, int(math.floor(span / width_ms + 1e-9)))
    if span - n * width_ms >= 0.5 * width_ms:  # the remainder is its own window
        n += 1
    k = np.floor((t - lo) / width_ms + 1e-9).astype(np.int64)
    k = np.clip(k, 0, n - 1)
    return np.where(inside, k, -1), n


def _sums(x, index: np.ndarray, n: int):
    """Per-window sums along the last axis: shape ``(..., n)``."""
    x = jnp.asarray(x)
    keep = jnp.asarray(index >= 0, dtype=x.dtype)
    seg = jnp.asarray(np.where(index >= 0, index, 0))
    moved = jnp.moveaxis(x * keep, -1, 0)
    summed = jax.ops.segment_sum(moved, seg, num_segments=n, indices_are_sorted=True)
    return jnp.moveaxis(summed, 0, -1)


def windowed_features(
    x,
    t_ms,
    *,
    width_ms: float = 5.0,
    window_ms=None,
    features=("mean", "std"),
    threshold_mV: float = 0.0,
    width_mV: float = 2.0,
    eps: float = 1e-6,
) -> Array:
    """Features of ``x`` in consecutive windows of ``width_ms``: shape ``(..., n_windows,
    len(features))``.

    Args:
        x: traces, time on the last axis (e.g. mV).
        t_ms: the sample times (ms), one per sample of ``x``; concrete values (not traced).
        width_ms: window width (ms).
        window_ms: ``(start, stop)`` (ms) restricting the windows; default the whole trace.
        features: any of ``"mean"`` (units of ``x``), ``"std"`` (units of ``x``, computed as
            ``sqrt(var + eps)`` so that the gradient of a flat window stays finite) and
            ``"spike_count"`` (the soft count of upward crossings of ``threshold_mV`` of
            :func:`dendrax.soft_spike_count`, a sigmoid of width ``width_mV``, per window;
            a crossing belongs to the window of its later sample).
    """
    bad = [f for f in features if f not in FEATURES]
    if bad or not features:
        raise ValueError(f"features={features!r}: use some of {list(FEATURES)}.")
    x = jnp.asarray(x)
    if np.shape(t_ms)[-1:] != x.shape[-1:]:
        raise ValueError(
            f"windowed_features: t_ms has {np.shape(t_ms)[-1]} samples but the trace has "
            f"{x.shape[-1]}; give the times of the trace's samples (e.g. result.t)."
        )
    index, n = window_index(t_ms, width_ms, window_ms)
    count = np.bincount(index[index >= 0], minlength=n).astype(np.float64)
    count_j = jnp.asarray(np.maximum(count, 1.0), dtype=x.dtype)
    out = []
    mean = _sums(x, index, n) / count_j
    for f in features:
        if f == "mean":
            out.append(mean)
        elif f == "std":
            # the variance from the centred values (no cancellation of large means)
            centred = x - jnp.take(mean, jnp.asarray(np.maximum(index, 0)), axis=-1)
            var = _sums(centred * centred, index, n) / count_j
            out.append(jnp.sqrt(var + eps))
        else:
            s = jax.nn.sigmoid((x - threshold_mV) / width_mV)
            rise = jnp.maximum(s[..., 1:] - s[..., :-1], 0.0)
            later = index[1:]
            both = np.where((index[:-1] >= 0) & (later >= 0), later, -1)
            out.append(_sums(rise, both, n))
    return jnp.stack(out, axis=-1)


def windowed_mean(x, t_ms, *, width_ms: float = 5.0, window_ms=None) -> Array:
    """Mean of ``x`` in consecutive windows (units of ``x``): shape ``(..., n_windows)``."""
    return windowed_features(x, t_ms, width_ms=width_ms, window_ms=window_ms,
                             features=("mean",))[..., 0]  # fmt: skip


def windowed_std(x, t_ms, *, width_ms: float = 5.0, window_ms=None, eps: float = 1e-6) -> Array:
    """Standard deviation of ``x`` in consecutive windows (units of ``x``), ``sqrt(var + eps)``:
    shape ``(..., n_windows)``."""
    return windowed_features(x, t_ms, width_ms=width_ms, window_ms=window_ms, eps=eps,
                             features=("std",))[..., 0]  # fmt: skip


def windowed_spike_count(
    v_mV, t_ms, *, width_ms: float = 5.0, window_ms=None, threshold_mV=0.0, width_mV=2.0
) -> Array:
    """Soft spike count (:func:`dendrax.soft_spike_count`) in consecutive windows: shape
    ``(..., n_windows)``."""
    return windowed_features(
        v_mV, t_ms, width_ms=width_ms, window_ms=window_ms, features=("spike_count",),
        threshold_mV=threshold_mV, width_mV=width_mV,
    )[..., 0]  # fmt: skip
