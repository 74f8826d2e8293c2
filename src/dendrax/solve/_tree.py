"""Exact O(N) solvers for the symmetric tree-structured (Hines) matrix of the cable equation.

The matrix ``A`` has diagonal ``d`` and, for every non-root node ``i`` with parent ``p[i]``, the
off-diagonal entries ``A[i, p] = A[p, i] = -g[i]`` (µS). Both solvers eliminate children into
parents (leaves first) and then substitute back from the root (Hines 1984, Int. J. Biomed.
Comput. 15:69-76). They differ in scheduling only:

- :class:`HinesSequential` walks the nodes one at a time in a native XLA loop (about 7 ns per
  node and sweep on a 2-core CPU). It is the default.
- :class:`HinesLevels` processes rows of independent nodes together (vectorised gather and
  scatter-add), one loop iteration per row, which is meant for GPUs. On CPU, XLA's vector
  scatter inside a loop is slow: rows of width >= 2 measured ~10x slower per step than
  HinesSequential (benchmarks/), width 1 about as fast.

The tree is rooted at its centre when compiled (see ``reroot_at_center``), so a cable has half as
many rows as compartments.

Both have a custom derivative: since ``A`` is symmetric, the cotangent of ``b`` is another solve
with ``A`` and those of ``d`` and ``g`` follow from it, so reverse mode never stores the
elimination's intermediate values.
"""

from __future__ import annotations

import dataclasses
import heapq
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class HinesSequential:
    """Node-by-node Hines elimination in one native loop (default on CPU)."""


@dataclasses.dataclass(frozen=True)
class HinesLevels:
    """Hines elimination in rows of up to ``width`` independent nodes (vectorised gather and
    scatter-add), one loop iteration per row; ``width=None`` puts every ready node in a row.

    Rows are filled by Hu's list-scheduling rule (deepest ready nodes first), which gives the
    fewest rows for a given width on a tree.
    """

    width: int | None = None

    def __post_init__(self) -> None:
        if self.width is not None and (int(self.width) != self.width or self.width < 1):
            raise ValueError(f"HinesLevels(width={self.width}): give a positive integer or None.")


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


def reroot_at_center(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-root a tree at its centre (the middle of its longest path), halving the height of
    chains such as unbranched cables.

    Returns ``(new_parent, owner)``: ``owner[j]`` is the node whose edge to its old parent is
    the edge between ``j`` and ``new_parent[j]`` (``j`` itself unless the edge was flipped;
    -1 for the new root).
    """
    n = parent.size
    if n == 1:
        return parent.copy(), np.array([-1])
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(parent):
        if p >= 0:
            neighbours[i].append(int(p))
            neighbours[int(p)].append(i)

    def bfs(start: int) -> tuple[np.ndarray, np.ndarray]:
        dist = np.full(n, -1)
        prev = np.full(n, -1)
        dist[start] = 0
        queue = [start]
        for u in queue:
            for w in neighbours[u]:
                if dist[w] < 0:
                    dist[w] = dist[u] + 1
                    prev[w] = u
                    queue.append(w)
        return dist, prev

    far = int(np.argmax(bfs(int(np.flatnonzero(parent < 0)[0]))[0]))
    dist, prev = bfs(far)
    end = int(np.argmax(dist))
    path = [end]
    while path[-1] != far:
        path.append(int(prev[path[-1]]))
    centre = path[len(path) // 2]
    _, new_parent = bfs(centre)
    owner = np.where(parent[np.arange(n)] == new_parent, np.arange(n), new_parent)
    owner[centre] = -1
    return new_parent.astype(np.int64), owner.astype(np.int64)


def row_table(parent: np.ndarray, width: int | None) -> np.ndarray:
    """Non-root nodes in elimination rows of at most ``width`` (Hu's rule), padded with ``n``.

    Every node's children lie in earlier rows, so a row can be eliminated at once.
    """
    n = parent.size
    order = topological_order(parent)
    depth = np.zeros(n, dtype=np.int64)
    for i in order[1:]:
        depth[i] = depth[parent[i]] + 1
    pending = np.bincount(parent[parent >= 0], minlength=n)
    ready = [(-int(depth[i]), int(i)) for i in range(n) if pending[i] == 0 and parent[i] >= 0]
    heapq.heapify(ready)
    rows: list[list[int]] = []
    cap = n if width is None else int(width)
    while ready:
        row = [heapq.heappop(ready)[1] for _ in range(min(cap, len(ready)))]
        for i in row:
            p = parent[i]
            pending[p] -= 1
            if pending[p] == 0 and parent[p] >= 0:
                heapq.heappush(ready, (-int(depth[p]), int(p)))
        rows.append(row)
    table = np.full((max(len(rows), 1), max((len(r) for r in rows), default=1)), n, np.int32)
    for k, row in enumerate(rows):
        table[k, : len(row)] = row
    return table


def make_schedule(solver: TreeSolver, parent: np.ndarray) -> np.ndarray:
    """The precomputed schedule of a solver for the tree ``parent`` (-1 marks the root).

    HinesSequential: ``(2, n)``: the topological order, and for every position ``k`` of that
    order the position of its parent (``< k``). HinesLevels: the row table.
    """
    parent = np.asarray(parent)
    order = topological_order(parent)
    if isinstance(solver, HinesLevels):
        return row_table(parent, solver.width)
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


def _levels(d, g, b, parent, rows):
    n = d.shape[0]
    pad = lambda a, v: jnp.concatenate([a, jnp.full((1,), v, a.dtype)])  # noqa: E731
    dd, bb, gg = pad(d, 1.0), pad(b, 0.0), pad(g, 0.0)
    pp = jnp.concatenate([parent, jnp.full((1,), n, parent.dtype)])
    pp = jnp.where(pp < 0, n, pp)  # the root and the padding slot point at the padding slot
    n_rows = rows.shape[0]

    def eliminate(k, carry):
        dd, bb = carry
        nodes = rows[k]
        f = gg[nodes] / dd[nodes]
        par = pp[nodes]
        return dd.at[par].add(-f * gg[nodes]), bb.at[par].add(f * bb[nodes])

    dd, bb = jax.lax.fori_loop(0, n_rows, eliminate, (dd, bb))
    # The root's value is final now; every other node is overwritten, parents first.
    b_scaled, g_scaled = bb / dd, gg / dd
    x = b_scaled.at[n].set(0.0)

    def substitute(k, x):
        nodes = rows[n_rows - 1 - k]
        return x.at[nodes].set(b_scaled[nodes] + g_scaled[nodes] * x[pp[nodes]])

    x = jax.lax.fori_loop(0, n_rows, substitute, x)
    return x[:n]


def _raw_solve(solver, d, g, b, parent, schedule):
    d, g, b, parent, schedule = (jnp.asarray(a) for a in (d, g, b, parent, schedule))
    if isinstance(solver, HinesLevels):
        return _levels(d, g, b, parent, schedule)
    return _sequential(d, g, b, schedule)


def _matvec(d, g, parent, x):
    """``A x`` for the tree matrix: ``(A x)_i = d_i x_i - g_i x_p(i) - sum_children g_c x_c``."""
    has_parent = parent >= 0
    p = jnp.maximum(parent, 0)
    up = jnp.where(has_parent, g * x[p], 0.0)
    down = jnp.zeros_like(x).at[p].add(jnp.where(has_parent, g * x, 0.0))
    return d * x - up - down


def solve_tree(solver, d, g, b, parent, schedule):
    """Solve ``A x = b`` for the tree matrix ``(d, g, parent)``.

    ``schedule`` comes from :func:`make_schedule`. Derivatives (forward and reverse mode, with
    respect to ``d``, ``g`` and ``b``) use ``lax.custom_linear_solve``: the tangent and cotangent
    systems are solved with the same tree solver (``A`` is symmetric), so autodiff never stores
    the elimination's intermediate values. Batched inputs (``vmap``) are vectorised inside the
    loop.
    """
    d, g, b, parent, schedule = (jnp.asarray(a) for a in (d, g, b, parent, schedule))

    def solve(_matvec_fn, rhs):
        return _raw_solve(solver, jax.lax.stop_gradient(d), jax.lax.stop_gradient(g), rhs,
                          parent, schedule)  # fmt: skip

    return jax.lax.custom_linear_solve(
        partial(_matvec, d, g, parent), b, solve=solve, symmetric=True
    )
