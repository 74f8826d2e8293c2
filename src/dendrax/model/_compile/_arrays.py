"""Index arrays of the compiled System."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def ints(x) -> jnp.ndarray:
    """``x`` (any sequence of integers, possibly empty) as an int32 JAX array."""
    return jnp.asarray(np.asarray(x, dtype=np.int64), dtype=jnp.int32)
