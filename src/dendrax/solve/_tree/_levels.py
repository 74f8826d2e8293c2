"""Hines elimination in rows of independent nodes (vectorised gather and scatter-add), one loop
iteration per row; meant for GPUs. On CPU, XLA's vector scatter inside a loop is slow: rows of
width >= 2 measured ~10x slower per step than HinesSequential (benchmarks/), width 1 about as
fast."""

from __future__ import annotations

import dataclasses
import heapq

import jax
import jax.numpy as jnp
import numpy as np

from ._base import AbstractTreeSolver
from ._ordering import topological_order


def row_table(parent: np.ndarray, width: int | None) -> np.ndarray:
    """Non-root nodes in elimination rows of at most ``width`` (Hu's rule: deepest ready nodes
    first), padded with ``n``. Every node's children lie in earlier rows, so a row can be
    eliminated at once. The trees of a forest share rows."""
    parent = np.asarray(parent)
    n = parent.size
    order = topological_order(parent)
    depth = np.zeros(n, dtype=np.int64)
    for i in order.tolist():
        if parent[i] >= 0:
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


@dataclasses.dataclass(frozen=True)
class HinesLevels(AbstractTreeSolver):
    """Hines elimination in rows of up to ``width`` independent nodes (vectorised gather and
    scatter-add), one loop iteration per row; ``width=None`` puts every ready node in a row.

    Rows are filled by Hu's list-scheduling rule (deepest ready nodes first), which gives the
    fewest rows for a given width on a tree.
    """

    width: int | None = None

    def __post_init__(self) -> None:
        if self.width is not None and (int(self.width) != self.width or self.width < 1):
            raise ValueError(f"HinesLevels(width={self.width}): give a positive integer or None.")

    def schedule(self, parent: np.ndarray) -> np.ndarray:
        """The row table ``(n_rows, width)`` of :func:`row_table`."""
        return row_table(parent, self.width)

    def eliminate(self, d, g, b, parent, schedule):
        n = d.shape[0]
        rows = schedule
        pad = lambda a, v: jnp.concatenate([a, jnp.full((1,), v, a.dtype)])  # noqa: E731
        dd, bb, gg = pad(d, 1.0), pad(b, 0.0), pad(g, 0.0)
        pp = jnp.concatenate([parent, jnp.full((1,), n, parent.dtype)])
        pp = jnp.where(pp < 0, n, pp)  # roots and the padding slot point at the padding slot
        n_rows = rows.shape[0]

        def eliminate(k, carry):
            dd, bb = carry
            nodes = rows[k]
            f = gg[nodes] / dd[nodes]
            par = pp[nodes]
            return dd.at[par].add(-f * gg[nodes]), bb.at[par].add(f * bb[nodes])

        dd, bb = jax.lax.fori_loop(0, n_rows, eliminate, (dd, bb))
        # The roots' values are final now; every other node is overwritten, parents first.
        b_scaled, g_scaled = bb / dd, gg / dd
        x = b_scaled.at[n].set(0.0)

        def substitute(k, x):
            nodes = rows[n_rows - 1 - k]
            return x.at[nodes].set(b_scaled[nodes] + g_scaled[nodes] * x[pp[nodes]])

        x = jax.lax.fori_loop(0, n_rows, substitute, x)
        return x[:n]
