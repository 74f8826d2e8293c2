"""Shared pieces of the Hay et al. (2011) channel set (ModelDB 139653): the fixed temperature
factor, the floating-point equality guards and the rate form ``k x / (exp(x/y) - 1)``.

Equations: ``../shared/reference/FORMAT_V2.md`` section 8, which writes out the mod files.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._gates import vtrap

# qt = 2.3^((34 - 21)/10): written into the mod files for 34 °C; it does not follow celsius.
QT = 2.3 ** ((34.0 - 21.0) / 10.0)
GUARD_SHIFT_MV = 1e-4


def guard(v, singular_mV: float):
    """``v + 1e-4`` where ``v`` equals ``singular_mV`` exactly (floating-point equality, as the
    mod files test it), else ``v`` (mV)."""
    return jnp.where(v == singular_mV, v + GUARD_SHIFT_MV, v)


def linexp(k: float, x, y: float):
    """``k x / (exp(x/y) - 1)`` (1/ms for the rate constants of section 8).

    float64: computed literally as ``(k x) / (exp(x/y) - 1)``, the arithmetic of the mod files
    (their removable singularity at ``x = 0`` is only avoided by the equality guards, as in
    NEURON). float32: ``k vtrap(x, y)``, which uses ``expm1`` and a series near ``x = 0`` so
    that values and gradients stay accurate there; the two agree to float32 round-off.
    """
    if jnp.result_type(x) == jnp.float32:
        return k * vtrap(x, jnp.asarray(y, jnp.float32))
    return (k * x) / (jnp.exp(x / y) - 1.0)


def boltzmann(x):
    """``1 / (1 + exp(x))``."""
    return 1.0 / (1.0 + jnp.exp(x))


def from_rates(alpha, beta, q: float = 1.0):
    """``(inf, tau_ms)`` from rates (1/ms): ``inf = α/(α+β)``, ``tau = 1/(q (α+β))``."""
    total = alpha + beta
    return alpha / total, 1.0 / (q * total)
