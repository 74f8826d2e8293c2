"""The tree solvers against a dense solve, and their custom derivative against autodiff."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax  # noqa: F401  (enables float64)
from dendrax.solve._tree import (
    HinesLevels,
    HinesSequential,
    make_schedule,
    reroot_at_center,
    row_table,
    solve_tree,
)

SOLVERS = [HinesSequential(), HinesLevels(), HinesLevels(width=3)]


def random_tree(n, seed):
    """A random tree whose node numbering is NOT topological (parents may come later)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    parent_topo = np.array([-1] + [rng.integers(max(0, i - 5), i) for i in range(1, n)])
    parent = np.full(n, -1)
    for i in range(1, n):
        parent[perm[i]] = perm[parent_topo[i]]
    g = np.where(parent >= 0, rng.uniform(0.1, 2.0, n), 0.0)
    d = rng.uniform(0.01, 1.0, n)  # capacitive + membrane part
    for i in range(n):
        if parent[i] >= 0:
            d[i] += g[i]
            d[parent[i]] += g[i]
    return parent, g, d, rng.normal(size=n)


def dense(parent, g, d):
    a = np.diag(d)
    for i, p in enumerate(parent):
        if p >= 0:
            a[i, p] = a[p, i] = -g[i]
    return a


def schedule(solver, parent):
    return make_schedule(solver, parent)


@pytest.mark.parametrize("solver", SOLVERS, ids=repr)
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_dense_solve(solver, seed):
    parent, g, d, b = random_tree(60, seed)
    x = solve_tree(solver, d, g, b, jnp.asarray(parent), jnp.asarray(schedule(solver, parent)))
    np.testing.assert_allclose(x, np.linalg.solve(dense(parent, g, d), b), rtol=1e-11)


@pytest.mark.parametrize("solver", SOLVERS, ids=repr)
def test_jit_and_vmap(solver):
    parent, g, d, b = random_tree(40, 3)
    sched = jnp.asarray(schedule(solver, parent))
    bs = np.stack([b, 2 * b, -b])
    f = jax.jit(jax.vmap(lambda bb: solve_tree(solver, d, g, bb, jnp.asarray(parent), sched)))
    expected = np.linalg.solve(dense(parent, g, d), bs.T).T
    np.testing.assert_allclose(f(bs), expected, rtol=1e-11)


@pytest.mark.parametrize("solver", SOLVERS, ids=repr)
def test_custom_vjp_matches_dense_autodiff(solver):
    parent, g, d, b = random_tree(30, 4)
    sched = jnp.asarray(schedule(solver, parent))
    w = np.random.default_rng(5).normal(size=b.size)

    def loss_tree(d, g, b):
        return jnp.sum(w * solve_tree(solver, d, g, b, jnp.asarray(parent), sched) ** 2)

    def loss_dense(d, g, b):
        a = jnp.diag(d)
        idx = np.flatnonzero(parent >= 0)
        a = a.at[idx, parent[idx]].add(-g[idx]).at[parent[idx], idx].add(-g[idx])
        return jnp.sum(w * jnp.linalg.solve(a, b) ** 2)

    got = jax.grad(loss_tree, argnums=(0, 1, 2))(d, g, b)
    want = jax.grad(loss_dense, argnums=(0, 1, 2))(d, g, b)
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12)


def test_reroot_keeps_the_matrix_and_halves_a_chain():
    parent, g, d, _ = random_tree(50, 7)
    new_parent, owner = reroot_at_center(parent)
    assert np.sum(new_parent < 0) == 1
    g_new = np.where(owner >= 0, g[np.maximum(owner, 0)], 0.0)
    np.testing.assert_array_equal(dense(new_parent, g_new, d), dense(parent, g, d))
    chain = np.arange(-1, 99)  # 100 nodes, each the child of the previous one
    rerooted, _ = reroot_at_center(chain)
    assert row_table(chain, None).shape[0] == 99
    assert row_table(rerooted, None).shape[0] == 50


def test_rows_respect_dependencies_and_width():
    parent, *_ = random_tree(80, 8)
    rows = row_table(parent, 3)
    assert rows.shape[1] <= 3
    done = set()
    for row in rows:
        nodes = [int(i) for i in row if i < parent.size]
        for i in nodes:  # every child of a node in this row was eliminated earlier
            assert all(c in done for c in np.flatnonzero(parent == i))
        done.update(nodes)
    assert done == set(np.flatnonzero(parent >= 0))


@pytest.mark.parametrize("solver", SOLVERS[:1], ids=repr)
def test_forward_mode_matches_dense(solver):
    parent, g, d, b = random_tree(25, 9)
    sched = jnp.asarray(schedule(solver, parent))

    def x_tree(d):
        return solve_tree(solver, d, g, b, jnp.asarray(parent), sched)

    def x_dense(d):
        return jnp.linalg.solve(jnp.asarray(dense(parent, g, np.zeros(d.shape))) + jnp.diag(d), b)

    np.testing.assert_allclose(jax.jacfwd(x_tree)(d), jax.jacfwd(x_dense)(d), rtol=1e-9, atol=1e-12)


# slow (~10 s): every vmap layout of the solve; vmap of whole simulations runs by default in
# test_vmap.py and test_vmap_grad.py
@pytest.mark.slow
def test_sequential_solve_vmapped_in_every_batch_layout():
    """A vmapped HinesSequential solve for every batching combination (also a vmap over Systems)."""
    solver = HinesSequential()
    parent, g, d, b = random_tree(25, 7)
    sched = jnp.asarray(schedule(solver, parent))
    rng = np.random.default_rng(8)
    B = 4
    ds = d[None] * rng.uniform(1.0, 2.0, (B, 1))
    gs = g[None] * rng.uniform(0.5, 1.5, (B, 1))
    bs = rng.normal(size=(B, b.size))

    def solve(dd, gg, bb, ss=sched):
        return solve_tree(solver, dd, gg, bb, jnp.asarray(parent), ss)

    def want(dd, gg, bb):
        return np.linalg.solve(dense(parent, gg, dd), bb)

    got = jax.jit(jax.vmap(solve))(ds, gs, bs)
    np.testing.assert_allclose(got, [want(ds[i], gs[i], bs[i]) for i in range(B)], rtol=1e-11)
    got = jax.vmap(solve, in_axes=(0, None, None))(ds, g, b)
    np.testing.assert_allclose(got, [want(ds[i], g, b) for i in range(B)], rtol=1e-11)
    got = jax.vmap(jax.vmap(solve, in_axes=(None, None, 0)), in_axes=(0, 0, None))(ds, gs, bs)
    expected = [[want(ds[j], gs[j], bs[i]) for i in range(B)] for j in range(B)]
    np.testing.assert_allclose(got, expected, rtol=1e-11)
    scheds = jnp.broadcast_to(sched, (B,) + sched.shape)  # a vmap over whole Systems
    got = jax.vmap(solve)(ds, gs, bs, scheds)
    np.testing.assert_allclose(got, [want(ds[i], gs[i], bs[i]) for i in range(B)], rtol=1e-11)
    # reverse mode through the batched solve equals the per-member gradients
    loss = lambda dd: jnp.sum(solve(dd, g, b) ** 2)  # noqa: E731
    np.testing.assert_allclose(
        jax.vmap(jax.grad(loss))(ds), [jax.grad(loss)(ds[i]) for i in range(B)], rtol=1e-10
    )
