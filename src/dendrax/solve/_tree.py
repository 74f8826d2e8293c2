"""Exact O(N) solvers for the symmetric tree-structured (Hines) matrix of the cable equation.

The matrix ``A`` has diagonal ``d`` and, for every non-root node ``i`` with parent ``p[i]``, the
off-diagonal entries ``A[i, p] = A[p, i] = -g[i]`` (µS). Both solvers eliminate children into
parents (leaves first) and then substitute back from the root (Hines 1984, Int. J. Biomed.
Comput. 15:69-76). They differ in scheduling only:

- :class:`HinesSequential` walks the nodes one at a time in a native XLA loop. On CPU this is the
  fastest (about 7 ns per node and sweep, measured in benchmarks/).
- :class:`HinesLevels` processes all nodes of one depth level together (vectorised gather and
  scatter-add), one loop iteration per level. It suits GPUs and bushy trees.

Both have a custom derivative: since ``A`` is symmetric, the cotangent of ``b`` is another solve
with ``A`` and those of ``d`` and ``g`` follow from it, so reverse mode never stores the
elimination's intermediate values.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class HinesSequential:
    """Node-by-node Hines elimination in one native loop (default on CPU)."""


@dataclasses.dataclass(frozen=True)
class HinesLevels:
    """Level-by-level Hines elimination, vectorised over the nodes of each depth level."""


TreeSolver = HinesSequential | HinesLevels


def topological_order(parent: np.ndarray) -> np.ndarray:
    """Order the nodes so that every parent comes before its children (root first)."""
    n = parent.size
    children: list[list[int]] = [[] for _ in range(n)]
    roots: list[int] = []
    for i, p in enumerate(parent):
        (roots if p < 0 else children[p]).append(i)
    if len(roots) != 1:
        raise ValueError(f"The cable graph must be one tree; it has {len(roots)} roots.")
    order = []
    stack = roots[::-1]
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(children[i][::-1])
    if len(order) != n:
        raise ValueError("The cable graph has a cycle or disconnected nodes.")
    return np.asarray(order, dtype=np.int32)


def level_table(parent: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``(n_levels, width)`` node indices by depth (root at level 0), padded with ``n``."""
    n = parent.size
    depth = np.zeros(n, dtype=np.int64)
    for i in order[1:]:
        depth[i] = depth[parent[i]] + 1
    n_levels = int(depth.max()) + 1
    width = int(np.bincount(depth).max())
    table = np.full((n_levels, width), n, dtype=np.int32)
    fill = np.zeros(n_levels, dtype=np.int64)
    for i in order:
        table[depth[i], fill[depth[i]]] = i
        fill[depth[i]] += 1
    return table


def make_schedule(solver: TreeSolver, parent: np.ndarray) -> np.ndarray:
    """The precomputed schedule of a solver for the tree ``parent`` (-1 marks the root).

    HinesSequential: ``(2, n)``: the topological order, and for every position ``k`` of that
    order the position of its parent (``< k``). HinesLevels: the level table.
    """
    parent = np.asarray(parent)
    order = topological_order(parent)
    if isinstance(solver, HinesLevels):
        return level_table(parent, order)
    position = np.empty_like(order)
    position[order] = np.arange(order.size, dtype=order.dtype)
    parent_pos = position[np.maximum(parent[order], 0)]
    return np.stack([order, parent_pos]).astype(np.int32)


# --- sequential ------------------------------------------------------------------------------


def _sequential(d, g, b, schedule):
    # Work in topological positions so that the loop bodies index directly: position k holds
    # node order[k], and its parent sits at position parent_pos[k] < k.
    n = d.shape[0]
    order, parent_pos = schedule[0], schedule[1]
    d, g, b = d[order], g[order], b[order]

    def eliminate(k, carry):
        dd, bb = carry
        i = n - 1 - k
        p = parent_pos[i]
        f = g[i] / dd[i]
        return dd.at[p].add(-f * g[i]), bb.at[p].add(f * bb[i])

    dd, bb = jax.lax.fori_loop(0, n - 1, eliminate, (d, b))
    # Back substitution x_k = bb_k/dd_k + (g_k/dd_k) x_parent, with the divisions vectorised.
    b_scaled, g_scaled = bb / dd, g / dd

    def substitute(k, x):
        return x.at[k].set(b_scaled[k] + g_scaled[k] * x[parent_pos[k]])

    x = jax.lax.fori_loop(1, n, substitute, b_scaled)
    return jnp.zeros_like(x).at[order].set(x)


# --- by levels -------------------------------------------------------------------------------


def _levels(d, g, b, parent, levels):
    n = d.shape[0]
    pad = lambda a, v: jnp.concatenate([a, jnp.full((1,), v, a.dtype)])  # noqa: E731
    dd, bb, gg = pad(d, 1.0), pad(b, 0.0), pad(g, 0.0)
    pp = jnp.concatenate([parent, jnp.full((1,), n, parent.dtype)])
    pp = jnp.where(pp < 0, n, pp)
    n_levels = levels.shape[0]

    def eliminate(k, carry):
        dd, bb = carry
        nodes = levels[n_levels - 1 - k]
        f = gg[nodes] / dd[nodes]
        par = pp[nodes]
        return dd.at[par].add(-f * gg[nodes]), bb.at[par].add(f * bb[nodes])

    dd, bb = jax.lax.fori_loop(0, n_levels - 1, eliminate, (dd, bb))
    x = bb / dd  # correct for the root level; other levels are overwritten below

    def substitute(k, x):
        nodes = levels[k]
        return x.at[nodes].set((bb[nodes] + gg[nodes] * x[pp[nodes]]) / dd[nodes])

    x = jax.lax.fori_loop(1, n_levels, substitute, x)
    return x[:n]


def _raw_solve(solver, d, g, b, parent, schedule):
    d, g, b, parent, schedule = (jnp.asarray(a) for a in (d, g, b, parent, schedule))
    if isinstance(solver, HinesLevels):
        return _levels(d, g, b, parent, schedule)
    return _sequential(d, g, b, schedule)


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def solve_tree(solver, d, g, b, parent, schedule):
    """Solve ``A x = b`` for the tree matrix ``(d, g, parent)``.

    ``schedule`` comes from :func:`make_schedule` (topological order and parent positions for
    HinesSequential, the level table for HinesLevels).
    Batched inputs (under ``vmap``) are vectorised inside the loop.
    """
    return _raw_solve(solver, d, g, b, parent, schedule)


def _solve_fwd(solver, d, g, b, parent, schedule):
    x = _raw_solve(solver, d, g, b, parent, schedule)
    return x, (d, g, x, parent, schedule)


def _solve_bwd(solver, res, x_bar):
    d, g, x, parent, schedule = res
    lam = _raw_solve(solver, d, g, x_bar, parent, schedule)  # A symmetric: A^-T = A^-1
    safe_parent = jnp.maximum(parent, 0)
    has_parent = parent >= 0
    d_bar = -lam * x
    # A[i,p] = A[p,i] = -g[i]  =>  dL/dg[i] = lam[i] x[p] + lam[p] x[i]
    g_bar = jnp.where(has_parent, lam * x[safe_parent] + lam[safe_parent] * x, 0.0)
    return d_bar, g_bar, lam, None, None


solve_tree.defvjp(_solve_fwd, _solve_bwd)
