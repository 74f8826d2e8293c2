"""``solve_tree``: any tree solver behind ``lax.custom_linear_solve`` (exact derivatives)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ._base import AbstractTreeSolver


def make_schedule(solver: AbstractTreeSolver, parent: np.ndarray) -> np.ndarray:
    """The precomputed schedule of ``solver`` for the forest ``parent`` (-1 marks roots)."""
    return solver.schedule(np.asarray(parent))


def tree_matvec(d, g, parent, x):
    """``A x`` for the tree matrix: ``(A x)_i = d_i x_i - g_i x_p(i) - sum_children g_c x_c``."""
    has_parent = parent >= 0
    p = jnp.maximum(parent, 0)
    up = jnp.where(has_parent, g * x[p], 0.0)
    down = jnp.zeros_like(x).at[p].add(jnp.where(has_parent, g * x, 0.0))
    return d * x - up - down


def solve_tree(solver: AbstractTreeSolver, d, g, b, parent, schedule):
    """Solve ``A x = b`` for the tree matrix ``(d, g, parent)`` (µS, nA -> mV).

    ``schedule`` comes from :func:`make_schedule`. Derivatives (forward and reverse mode, with
    respect to ``d``, ``g`` and ``b``) use ``lax.custom_linear_solve``: the tangent and cotangent
    systems are solved with the same tree solver (``A`` is symmetric), so autodiff never stores
    the elimination's intermediate values. Batched inputs (``vmap``) are vectorised inside the
    loop.
    """
    d, g, b, parent, schedule = (jnp.asarray(a) for a in (d, g, b, parent, schedule))

    def solve(_matvec_fn, rhs):
        return solver.eliminate(jax.lax.stop_gradient(d), jax.lax.stop_gradient(g), rhs,
                                parent, schedule)  # fmt: skip

    return jax.lax.custom_linear_solve(
        partial(tree_matvec, d, g, parent), b, solve=solve, symmetric=True
    )
