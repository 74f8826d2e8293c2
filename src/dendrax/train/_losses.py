"""Losses and differentiable features of recorded traces; pure JAX, usable under jit/grad/vmap.

Traces are arrays whose last axis is time (one sample per recorded time point, ``t_ms`` in ms,
as in :class:`dendrax.Result`); any leading axes are batch axes (several traces, parameter sets).
Voltages are in mV, so :func:`mse` is in mV² and :func:`soft_spike_count` is a count.

Time windows are ``(t_start_ms, t_stop_ms)``, inclusive at both ends; they need ``t_ms``. They
are turned into 0/1 masks with ``jnp`` comparisons, so window bounds may themselves be traced
values (a change of window does not recompile).

Every function here is smooth, or continuous with a derivative almost everywhere, so that
gradients reach the parameters. Spike-shaped features use a sigmoid of width ``width_mV`` in
place of a hard threshold: a wider sigmoid passes gradients from further below threshold, a
narrower one counts more exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def time_mask(t_ms, window_ms=None) -> Array:
    """1.0 where ``window_ms[0] <= t <= window_ms[1]`` (ms), else 0.0; all ones if no window."""
    t = jnp.asarray(t_ms)
    if window_ms is None:
        return jnp.ones_like(t)
    t0, t1 = window_ms
    return ((t >= t0) & (t <= t1)).astype(t.dtype)


def _mask(x, t_ms, window_ms, name: str) -> Array:
    if window_ms is None:
        return jnp.ones(jnp.shape(x)[-1:], jnp.result_type(x, float))
    if t_ms is None:
        raise ValueError(f"{name}(window_ms=...) needs t_ms, the sample times in ms.")
    if jnp.shape(t_ms)[-1:] != jnp.shape(x)[-1:]:
        raise ValueError(
            f"{name}: t_ms has {jnp.shape(t_ms)[-1]} samples but the trace has "
            f"{jnp.shape(x)[-1]}; give the times of the trace's samples (e.g. result.t)."
        )
    return time_mask(t_ms, window_ms)


def mse(prediction, target, *, t_ms=None, window_ms=None, weights=None) -> Array:
    """Weighted mean squared error over time (and over any leading axes).

    ``sum(w · m · (prediction - target)²) / sum(w · m)`` where ``m`` masks the samples inside
    ``window_ms`` and ``w`` are ``weights`` (broadcastable to the traces: one per sample, one per
    trace as shape ``(k, 1)``, ...; default 1). Units: those of the traces, squared (mV²).
    """
    p = jnp.asarray(prediction)
    y = jnp.asarray(target)
    if jnp.shape(p) != jnp.shape(y):
        raise ValueError(f"mse: prediction shape {jnp.shape(p)} != target shape {jnp.shape(y)}.")
    w = _mask(p, t_ms, window_ms, "mse")
    if weights is not None:
        w = w * jnp.asarray(weights)
    w = jnp.broadcast_to(w, jnp.shape(p))
    return jnp.sum(w * (p - y) ** 2) / jnp.sum(w)


def soft_spike_count(v_mV, *, threshold_mV=0.0, width_mV=2.0, t_ms=None, window_ms=None) -> Array:
    """Smooth count of upward threshold crossings along the last axis.

    With ``s_k = sigmoid((v_k - threshold) / width)``, the count is ``sum_k max(s_{k+1} - s_k,
    0)`` over consecutive samples inside the window: each excursion from well below to well above
    the threshold adds 1, however few samples it takes (so the count does not depend on dt), and
    small wiggles far from threshold add almost nothing. It is continuous in the voltages and
    differentiable almost everywhere; its gradient is non-zero only for samples within a few
    ``width_mV`` of the threshold, so it cannot create a spike that is far from threshold
    (combine it with :func:`mse` or a :func:`window_mean` term for that).

    Returns an array of the leading (batch) shape.
    """
    v = jnp.asarray(v_mV)
    m = _mask(v, t_ms, window_ms, "soft_spike_count")
    s = jax.nn.sigmoid((v - threshold_mV) / width_mV)
    rise = jnp.maximum(s[..., 1:] - s[..., :-1], 0.0)
    return jnp.sum(rise * m[..., 1:] * m[..., :-1], axis=-1)


def window_mean(x, *, t_ms=None, window_ms=None) -> Array:
    """Mean over the samples inside the window, along the last axis (units of ``x``)."""
    x = jnp.asarray(x)
    m = _mask(x, t_ms, window_ms, "window_mean")
    return jnp.sum(x * m, axis=-1) / jnp.sum(m)


def window_std(x, *, t_ms=None, window_ms=None, eps=1e-6) -> Array:
    """Standard deviation inside the window, along the last axis (units of ``x``).

    Computed as ``sqrt(var + eps)`` (``eps`` in units of ``x`` squared), so that its gradient
    stays finite for a flat trace.
    """
    x = jnp.asarray(x)
    m = _mask(x, t_ms, window_ms, "window_std")
    n = jnp.sum(m)
    mean = jnp.sum(x * m, axis=-1, keepdims=True) / n
    var = jnp.sum(m * (x - mean) ** 2, axis=-1) / n
    return jnp.sqrt(var + eps)


def soft_max(x, *, temperature=1.0, t_ms=None, window_ms=None) -> Array:
    """Smooth maximum along the last axis: ``temperature · logsumexp(x / temperature)`` over the
    samples inside the window (e.g. a spike's peak, mV). Larger by at most
    ``temperature · log(n)`` than the true maximum; its gradient spreads over near-maximal
    samples instead of jumping between them."""
    x = jnp.asarray(x)
    m = _mask(x, t_ms, window_ms, "soft_max")
    z = jnp.where(m > 0, x / temperature, -jnp.inf)
    return temperature * jax.nn.logsumexp(z, axis=-1)


def summary_statistics(v_mV, *, t_ms=None, window_ms=None, threshold_mV=0.0, width_mV=2.0) -> Array:
    """``[mean (mV), standard deviation (mV), soft spike count]`` of a voltage trace inside the
    window, stacked on a new last axis (shape ``(..., 3)``)."""
    kw = {"t_ms": t_ms, "window_ms": window_ms}
    return jnp.stack(
        [
            window_mean(v_mV, **kw),
            window_std(v_mV, **kw),
            soft_spike_count(v_mV, threshold_mV=threshold_mV, width_mV=width_mV, **kw),
        ],
        axis=-1,
    )
