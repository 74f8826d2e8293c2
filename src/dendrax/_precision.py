"""Floating-point precision: float64 needs JAX's ``jax_enable_x64``.

``import dendrax`` switches ``jax_enable_x64`` on (validation against NEURON runs in float64).
If it is switched off again afterwards, JAX silently makes every float64 array float32; a model
compiled for float64 would then run in float32 without saying so. :func:`dendrax.compile` calls
:func:`require_float64_support` to refuse that.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def x64_enabled() -> bool:
    """Whether JAX's float64 support (``jax_enable_x64``) is on."""
    return bool(jax.config.read("jax_enable_x64"))


def require_float64_support(dtype) -> None:
    """Raise if ``dtype`` is float64 while JAX's ``jax_enable_x64`` is off.

    Args:
        dtype: the floating-point type asked for, e.g. ``jnp.float64`` or ``jnp.float32``
            (anything ``jnp.dtype`` accepts). Other types pass unchecked.

    Raises:
        ValueError: for float64 with ``jax_enable_x64`` off; the message says how to fix it.
    """
    try:
        wanted = jnp.dtype(dtype)
    except TypeError:
        return  # not a dtype at all: the caller's own check reports it
    if wanted == jnp.dtype(jnp.float64) and not x64_enabled():
        raise ValueError(
            "dtype=jnp.float64, but JAX's float64 support is switched off "
            '(jax.config.update("jax_enable_x64", False) was called after importing dendrax), '
            "so the model would silently run in float32. Switch it back on with "
            'jax.config.update("jax_enable_x64", True), or ask for single precision with '
            "dtype=jnp.float32."
        )
