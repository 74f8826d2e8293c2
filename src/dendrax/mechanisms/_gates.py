"""Shared gate helpers: exponential Euler, ``vtrap`` and an exponential that cannot overflow.

Used by the channel library and available to user mechanisms. All are elementwise functions of
JAX arrays, safe under ``jit``, ``grad`` and ``vmap`` (no inf/NaN values or gradients from the
branch that is not taken).
"""

from __future__ import annotations

import jax.numpy as jnp

# exp(709) is close to the largest float64; NEURON's ``exp`` in NMODL clips its argument at 700.
_EXP_CLIP = 700.0


def exponential_euler(x, inf, tau_ms, dt_ms):
    """One exponential-Euler step of ``dx/dt = (inf - x) / tau`` (NMODL ``cnexp``):
    ``x + (1 - exp(-dt/tau)) (inf - x)``; exact for constant ``inf`` and ``tau`` (ms)."""
    return x + (1.0 - jnp.exp(-dt_ms / tau_ms)) * (inf - x)


def exponential_euler_rates(x, alpha, beta, dt_ms, q10=1.0):
    """Exponential Euler written with rates (1/ms): ``inf = a/(a+b)``, ``dt/tau = dt q10 (a+b)``."""
    total = alpha + beta
    return x + (1.0 - jnp.exp(-dt_ms * q10 * total)) * (alpha / total - x)


def safe_exp(x, clip=_EXP_CLIP):
    """``exp(min(x, clip))``: no overflow to inf in float64 (NEURON clips at 700 the same way)."""
    return jnp.exp(jnp.minimum(x, clip))


def vtrap(x, y, exp_x_over_y=None):
    """``x / (exp(x/y) - 1)`` with its removable singularity at ``x = 0`` handled (hh.mod).

    float64 (NEURON's numerics): the series ``y (1 - x/y/2)`` where ``|x/y| < 1e-6``, else the
    quotient; ``exp_x_over_y`` may pass a precomputed ``exp(x/y)``. float32: the quotient loses
    ``eps/u²`` of its derivative near the singularity (``u = x/y``), so it uses
    ``x / expm1(u)`` and, where ``|u| < 1e-2``, the series ``y (1 - u/2 + u²/12)`` (error
    ``O(u⁴)``, below float32 resolution). The unused branch never produces inf/NaN values or
    gradients.
    """
    u = x / y
    if jnp.result_type(x, y) == jnp.float32:
        small = jnp.abs(u) < 1e-2
        denom = jnp.where(small, 1.0, jnp.expm1(jnp.where(small, 1.0, u)))
        return jnp.where(small, y * (1.0 - u / 2.0 + u * u / 12.0), x / denom)
    small = jnp.abs(u) < 1e-6
    if exp_x_over_y is None:
        exp_x_over_y = jnp.exp(u)
    denom = jnp.where(small, 1.0, exp_x_over_y - 1.0)
    return jnp.where(small, y * (1.0 - x / y / 2.0), x / denom)
