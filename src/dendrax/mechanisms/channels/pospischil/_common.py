"""Shared pieces of the Pospischil et al. (2008) set (ModelDB 123623, mod files by A. Destexhe):
the ``Exp`` of ``HH_traub.mod`` and the rate form ``k x / (exp(x/y) - 1)`` of ``IL_gutnick.mod``.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._gates import vtrap


def exp_cut100(x):
    """``HH_traub.mod``'s ``Exp``: 0 where ``x < -100``, else ``exp(x)``."""
    return jnp.where(x < -100.0, 0.0, jnp.exp(jnp.maximum(x, -100.0)))


def linexp(k: float, x, y: float):
    """``k x / (exp(x/y) - 1)``: float64 literally ``(k x)/(exp(x/y) - 1)`` as the mod file
    writes it, except where ``|x/y| < 1e-6`` (the mod file has no guard; at ``x = 0`` it is 0/0)
    where the series ``k y (1 - x/y/2)`` gives the limit; float32 ``k vtrap(x, y)``."""
    if jnp.result_type(x) == jnp.float32:
        return k * vtrap(x, jnp.asarray(y, jnp.float32))
    u = x / y
    small = jnp.abs(u) < 1e-6
    denom = jnp.where(small, 1.0, jnp.exp(u) - 1.0)
    return jnp.where(small, k * y * (1.0 - u / 2.0), (k * x) / denom)
