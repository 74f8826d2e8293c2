"""Gap junctions, solved implicitly with the cable equation: a low-rank (Woodbury) correction
of the tree solve.

Junction ``k`` is an ohmic conductance ``g_k`` (µS) between nodes ``a_k`` and ``b_k`` (of the
same cell or of two cells): the current ``g_k (v_b - v_a)`` (nA) flows into ``a_k`` and the
same current leaves ``b_k``. In the linearised step ``T ΔV = r`` (``solve._cable``) the
junctions add ``-U G Uᵀ V`` to ``r`` and ``U G Uᵀ`` to the matrix, where ``U`` (``n × k``) has
the columns ``e_a - e_b`` and ``G = diag(g)``. Both methods solve the same matrix: a junction
is a conductance like the axial ones, so Crank-Nicolson's ``dt' = dt/2`` scales only the
capacitance (as NEURON's ``LinearMechanism`` does).

``M = T + U G Uᵀ`` is no longer a tree (a junction joins two trees or closes a loop), so it is
solved with the Woodbury identity in the form that never divides by ``g`` (safe at ``g = 0``):

    M⁻¹ r = x₀ - T⁻¹ U w,   w = (I + G S)⁻¹ G Uᵀ x₀,   x₀ = T⁻¹ r,   S = Uᵀ T⁻¹ U  (k × k).

``I + G S`` is similar to the symmetric positive definite ``I + G^½ S G^½`` (eigenvalues
``>= 1``): well conditioned for every ``g >= 0``.

``T⁻¹ U`` would cost one tree solve per junction. But ``T`` is block diagonal, one block per
cell, so ``T⁻¹ e_p`` lives in the cell of ``p``: the junction nodes are *coloured* (colour =
rank among the junction nodes of the same cell, :func:`plan_gap_junctions`) and one tree solve
per colour, ``Y[:, c] = T⁻¹ Σ_{p of colour c} e_p``, gives every ``T⁻¹ e_p`` at once (the part
of ``Y[:, c]`` in the cell of ``p``). The colours number the most junction nodes in any one
cell (e.g. 7 for 100 random junctions on 100 cells), not the junctions. A step is then one
call of the tree solver vectorised over ``1 + n_colours`` right-hand sides (the elimination of
the diagonal is shared), gathers for ``S`` and ``T⁻¹ U w``, and a dense ``k × k`` solve:
``O(N (1 + n_colours) + k³)`` for ``N`` nodes. See ``docs/gap_junctions.md`` for measured costs.

Derivatives: ``lax.custom_linear_solve`` on ``M`` (symmetric), so the tangent and cotangent
systems use the same Woodbury solve and derivatives with respect to the diagonal, the axial
and the junction conductances flow through the matrix-vector product.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ._system import GapJunctions
from ._tree import AbstractTreeSolver, solve_tree, tree_matvec

Array = jax.Array


def gap_current(gaps: GapJunctions, v: Array) -> Array:
    """The current (nA) that the junctions drive into every node at voltages ``v`` (mV):
    ``g (v_b - v_a)`` into ``a``, the same out of ``b`` (the currents sum to zero)."""
    i_ab = gaps.g_uS * (v[gaps.node_a] - v[gaps.node_b])  # nA from a to b
    return jnp.zeros_like(v).at[gaps.node_a].add(-i_ab).at[gaps.node_b].add(i_ab)


# --- compile time (NumPy) ------------------------------------------------------------------


def node_cells(parent: np.ndarray, comp_offset: np.ndarray) -> np.ndarray:
    """The cell of every node of the forest: compartments by ``comp_offset`` (the first
    compartment of every cell, and the total), zero-area junction nodes by a neighbouring
    compartment (a junction node always has one: its parent or a child)."""
    parent = np.asarray(parent)
    n_comp = int(comp_offset[-1])
    cell = np.full(parent.size, -1, np.int64)
    cell[:n_comp] = np.repeat(np.arange(comp_offset.size - 1), np.diff(comp_offset))
    node = np.arange(parent.size)
    up = (parent >= 0) & (node >= n_comp) & (parent < n_comp)
    cell[node[up]] = cell[parent[up]]
    down = (parent >= n_comp) & (node < n_comp)
    cell[parent[down]] = cell[node[down]]
    if (cell < 0).any():
        raise RuntimeError("a junction node of the forest has no compartment neighbour")
    return cell


def plan_gap_junctions(
    node_a: np.ndarray, node_b: np.ndarray, g_uS: Array, parent: np.ndarray, comp_offset
) -> GapJunctions:
    """The junctions ``(node_a, node_b, g_uS)`` with the solver's plan: the cell of every node,
    and a colour for every junction node (its rank among the junction nodes of its cell)."""
    node_a, node_b = np.asarray(node_a, np.int64), np.asarray(node_b, np.int64)
    comp_offset = np.asarray(comp_offset, np.int64)
    cell = node_cells(parent, comp_offset)
    nodes = np.unique(np.concatenate([node_a, node_b]))
    order = np.lexsort((nodes, cell[nodes]))
    nodes, cells = nodes[order], cell[nodes[order]]
    rank = np.arange(nodes.size) - np.searchsorted(cells, cells, side="left")
    colour = np.full(parent.size, -1, np.int64)
    colour[nodes] = rank
    n_colours = int(rank.max()) + 1 if nodes.size else 1
    probe = np.full((n_colours, comp_offset.size - 1), -1, np.int64)
    probe[rank, cells] = nodes
    i32 = partial(jnp.asarray, dtype=jnp.int32)
    return GapJunctions(
        node_a=i32(node_a),
        node_b=i32(node_b),
        g_uS=g_uS,
        color_a=i32(colour[node_a]),
        color_b=i32(colour[node_b]),
        probe=i32(probe),
        node_cell=i32(cell),
    )


# --- the solve -----------------------------------------------------------------------------


def _coupled_matvec(d, g_edge, parent, gaps, x):
    """``M x = T x + U G Uᵀ x``."""
    return tree_matvec(d, g_edge, parent, x) - gap_current(gaps, x)


def woodbury_solve(
    solver: AbstractTreeSolver, d, g_edge, rhs, parent, schedule, gaps: GapJunctions
) -> Array:
    """``M⁻¹ rhs`` by the Woodbury identity (no derivative rule; see :func:`solve_with_gaps`).
    Without a plan (``gaps.probe is None``) one tree solve per junction."""
    n, k = rhs.shape[0], gaps.node_a.shape[0]
    a, b, g = gaps.node_a, gaps.node_b, gaps.g_uS
    if gaps.probe is None or gaps.node_cell is None:
        cols = jnp.arange(k)
        probes = jnp.zeros((n, k), rhs.dtype).at[a, cols].add(1.0).at[b, cols].add(-1.0)
    else:
        probe = gaps.probe
        column = jnp.arange(probe.shape[0])[:, None]
        at = jnp.where(probe >= 0, probe, n)
        probes = jnp.zeros((n, probe.shape[0]), rhs.dtype).at[at, column].set(1.0, mode="drop")

    def tree(col):
        return solver.eliminate(d, g_edge, col, parent, schedule)

    X = jax.vmap(tree, in_axes=1, out_axes=1)(jnp.concatenate([rhs[:, None], probes], axis=1))
    x0, Y = X[:, 0], X[:, 1:]
    y = x0[a] - x0[b]  # Uᵀ x₀
    if gaps.probe is None or gaps.node_cell is None:
        S = Y[a] - Y[b]
        w = jnp.linalg.solve(jnp.eye(k, dtype=rhs.dtype) + g[:, None] * S, g * y)
        return x0 - Y @ w
    cell, ca, cb = gaps.node_cell, gaps.color_a, gaps.color_b

    def t_inv(p, q, colour_q):  # (T⁻¹)_{p_j q_l}: zero between cells
        same = cell[p][:, None] == cell[q][None, :]
        return jnp.where(same, Y[p[:, None], colour_q[None, :]], 0.0)

    S = t_inv(a, a, ca) - t_inv(a, b, cb) - t_inv(b, a, ca) + t_inv(b, b, cb)
    w = jnp.linalg.solve(jnp.eye(k, dtype=rhs.dtype) + g[:, None] * S, g * y)
    u = jnp.zeros(n, rhs.dtype).at[a].add(w).at[b].add(-w)  # U w
    coef = jnp.where(gaps.probe >= 0, u[jnp.maximum(gaps.probe, 0)], 0.0)  # (colour, cell)
    return x0 - jnp.sum(Y * coef[:, cell].T, axis=1)


def solve_with_gaps(
    solver: AbstractTreeSolver, d, g_edge, rhs, parent, schedule, gaps: GapJunctions
) -> Array:
    """Solve ``(T + U G Uᵀ) x = rhs``: the tree matrix ``(d, g_edge, parent)`` (µS) of
    :func:`dendrax.solve._tree.solve_tree` plus the junction conductances ``gaps.g_uS`` (µS)
    between ``gaps.node_a`` and ``gaps.node_b``; ``rhs`` in nA, ``x`` in mV.

    Exact derivatives with respect to ``d``, ``g_edge``, ``gaps.g_uS`` and ``rhs`` through
    ``lax.custom_linear_solve``; ``vmap`` batches every argument."""
    if gaps.node_a.shape[0] == 0:
        return solve_tree(solver, d, g_edge, rhs, parent, schedule)
    matvec = partial(_coupled_matvec, d, g_edge, parent, gaps)
    sg = jax.lax.stop_gradient

    def solve(_matvec, b):
        fixed = dataclasses.replace(gaps, g_uS=sg(gaps.g_uS))
        return woodbury_solve(solver, sg(d), sg(g_edge), b, parent, schedule, fixed)

    return jax.lax.custom_linear_solve(matvec, rhs, solve=solve, symmetric=True)
