"""Moving values between compartments and the sites of a mechanism group.

Every index array here is built by :func:`dendrax.compile` within bounds and non-negative, so
the gathers skip NumPy's negative-index wrap and the bounds clamp: each of those would be one
more operation (and one more XLA fusion to compile) per group and step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._system import MechanismGroup

Array = jax.Array


def gather(x: Array, index: Array) -> Array:
    """``x[index]`` for an index array known to lie in ``[0, len(x))``."""
    return x.at[index].get(mode="promise_in_bounds", wrap_negative_indices=False)


def at_sites(group: MechanismGroup, x: Array, n_comp: int) -> Array:
    """The values of the per-compartment ``x`` (first ``n_comp`` entries) at the group's sites."""
    return x[:n_comp] if group.covers_all else gather(x, group.compartments)


def spread(group: MechanismGroup, x: Array, n_comp: int, base: Array | None = None) -> Array:
    """``(n_comp,)``: the per-site values ``x`` of a density group at their compartments, and
    ``base`` (default 0) at the compartments without a site.

    With ``group.site_of`` this is one gather from ``[x, base]`` (it fuses with the sums it
    feeds); groups without it (sites that may repeat: point mechanisms) scatter instead, and
    repeated sites add up.
    """
    x = jnp.asarray(x)
    if x.ndim == 0:  # a constant (a mechanism without current: 0)
        x = jnp.broadcast_to(x, group.compartments.shape)
    if group.covers_all:
        return x
    if base is None:
        base = jnp.zeros(n_comp, x.dtype)
    if group.site_of is None:
        return base.at[group.compartments].add(x)
    return gather(jnp.concatenate([x, base.astype(x.dtype)]), group.site_of)
