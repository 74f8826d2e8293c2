"""Connectivity rules (model/_connectivity.py): counts, statistics, order, seeds and errors."""

import time

import numpy as np
import pytest

from dendrax.model._connectivity import (
    AllToAll,
    EdgeList,
    FixedInDegree,
    FixedOutDegree,
    FromMatrix,
    OneToOne,
    Random,
    random_compartments,
    random_compartments_per_post,
    resolve_values,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def assert_sorted_by_post_then_pre(i, j, duplicates=False):
    key = j.astype(np.int64) * (int(i.max(initial=0)) + 1) + i
    d = np.diff(key)
    assert np.all(d >= 0) if duplicates else np.all(d > 0)


def n_autapses(pre, post, i, j):
    return int(np.sum(pre[i] == post[j]))


def in_band(count, n, p, sigmas=5.0):
    mean, sd = n * p, np.sqrt(n * p * (1 - p))
    return abs(count - mean) <= sigmas * sd


# --- OneToOne, AllToAll ---


def test_one_to_one_pairs_index_with_index():
    i, j = OneToOne().pairs(np.arange(5), np.arange(10, 15), rng())
    np.testing.assert_array_equal(i, np.arange(5))
    np.testing.assert_array_equal(j, np.arange(5))


def test_one_to_one_needs_equal_sizes():
    with pytest.raises(ValueError, match=r"n_pre=3 and n_post=4"):
        OneToOne().pairs(np.arange(3), np.arange(4), rng())


def test_all_to_all_counts_order_and_autapses():
    cells = np.arange(6)
    i, j = AllToAll().pairs(cells, cells, rng())
    assert i.size == 6 * 5 and n_autapses(cells, cells, i, j) == 0
    assert_sorted_by_post_then_pre(i, j)
    i, j = AllToAll(autapses=True).pairs(cells, cells, rng())
    assert i.size == 36 and n_autapses(cells, cells, i, j) == 6
    sources = np.full(4, -1)  # spike sources never make autapses
    i, j = AllToAll().pairs(sources, cells, rng())
    assert i.size == 24


def test_pre_cells_must_be_integer_ids_and_posts_cells():
    with pytest.raises(ValueError, match=r"pre_cells must be a 1-D array of integer cell ids"):
        AllToAll().pairs(np.array([0.0, 1.0]), np.arange(2), rng())
    with pytest.raises(ValueError, match=r"post_cells\[1\]=-1; each entry must be a cell id"):
        AllToAll().pairs(np.arange(2), np.array([0, -1]), rng())
    with pytest.raises(ValueError, match=r"pre_cells\[0\]=-2"):
        AllToAll().pairs(np.array([-2]), np.arange(2), rng())
    with pytest.raises(ValueError, match=r"autapses=1 must be True or False"):
        AllToAll(autapses=1)


# --- Random ---


def test_random_count_in_binomial_band_no_duplicates_no_autapses():
    cells = np.arange(300)
    p = 0.1
    i, j = Random(p).pairs(cells, cells, rng(1))
    assert in_band(i.size, 300 * 299, p)
    assert n_autapses(cells, cells, i, j) == 0
    assert_sorted_by_post_then_pre(i, j)  # strictly increasing: no pair twice
    # in-degrees are Binomial(n_pre - 1, p): their spread, not just their mean, is checked
    deg = np.bincount(j, minlength=300)
    assert abs(deg.mean() - 299 * p) < 5 * np.sqrt(299 * p * (1 - p) / 300)
    assert 0.7 < deg.var() / (299 * p * (1 - p)) < 1.3


def test_random_autapses_true_includes_them_with_probability_p():
    cells = np.arange(2000)
    i, j = Random(0.5, autapses=True).pairs(cells, cells, rng(2))
    assert in_band(n_autapses(cells, cells, i, j), 2000, 0.5)
    assert in_band(i.size, 2000 * 2000, 0.5)


def test_random_rectangular_and_sources():
    pre, post = np.full(50, -1), np.arange(7)
    i, j = Random(0.3).pairs(pre, post, rng(3))
    assert in_band(i.size, 350, 0.3) and i.max() < 50 and j.max() < 7
    assert_sorted_by_post_then_pre(i, j)


def test_random_edge_probabilities():
    cells = np.arange(20)
    assert Random(0.0).pairs(cells, cells, rng())[0].size == 0
    assert Random(1.0).pairs(cells, cells, rng())[0].size == 20 * 19
    assert Random(1, autapses=True).pairs(cells, cells, rng())[0].size == 400
    assert Random(0.5).pairs(np.arange(0), cells, rng())[0].size == 0


def test_random_is_reproducible_by_seed():
    cells = np.arange(200)
    a = Random(0.2).pairs(cells, cells, rng(7))
    b = Random(0.2).pairs(cells, cells, rng(7))
    c = Random(0.2).pairs(cells, cells, rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].size != c[0].size or not np.array_equal(a[0], c[0])


def test_random_is_fast_and_memory_light():
    cells = np.arange(2000)
    t0 = time.perf_counter()
    i, _ = Random(0.25).pairs(cells, cells, rng(4))
    assert time.perf_counter() - t0 < 1.0
    assert in_band(i.size, 2000 * 1999, 0.25)
    # 1e8 pairs, 1e4 connections: a dense draw would need 0.8 GB and seconds
    t0 = time.perf_counter()
    i, j = Random(1e-4).pairs(np.arange(10_000), np.arange(10_000, 20_000), rng(5))
    assert time.perf_counter() - t0 < 0.5
    assert in_band(i.size, 10**8, 1e-4)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_random_p_must_be_a_probability(p):
    with pytest.raises(ValueError, match=r"p is a connection probability and must lie in \[0, 1\]"):
        Random(p)


# --- FixedInDegree / FixedOutDegree ---


@pytest.mark.parametrize("n_pre,n_post,k", [(40, 30, 5), (20_000, 1_000, 10)])  # dense, rejection
def test_fixed_in_degree_exact_distinct_no_autapses(n_pre, n_post, k):
    pre, post = np.arange(n_pre), np.arange(n_post)
    i, j = FixedInDegree(k).pairs(pre, post, rng(1))
    np.testing.assert_array_equal(np.bincount(j, minlength=n_post), np.full(n_post, k))
    assert_sorted_by_post_then_pre(i, j)  # strictly: distinct pres per post
    assert n_autapses(pre, post, i, j) == 0
    # pres are drawn uniformly: every pre is chosen ~ Binomial(n_post, k/n_pre) times
    counts = np.bincount(i, minlength=n_pre)
    expected = n_post * k / n_pre
    assert abs(counts.mean() - expected) < 1e-12
    assert 0.7 < counts.var() / (expected * (1 - k / n_pre)) < 1.3


def test_fixed_in_degree_uniform_over_available_pres():
    # 5 pres, k = 2, posts are the pres' own cells: each post chooses 2 of its 4 others
    cells = np.arange(5)
    counts = np.zeros((5, 5))
    r = rng(3)
    for _ in range(400):
        i, j = FixedInDegree(2).pairs(cells, cells, r)
        np.add.at(counts, (i, j), 1)
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(5, dtype=bool)]
    assert np.all(np.abs(off - 200) < 5 * np.sqrt(400 * 0.5 * 0.5))


def test_fixed_in_degree_autapses_and_duplicates():
    cells = np.arange(4)
    i, j = FixedInDegree(4, autapses=True).pairs(cells, cells, rng())
    assert n_autapses(cells, cells, i, j) == 4  # all 4 pres, including itself
    i, j = FixedInDegree(12, duplicates=True).pairs(cells, cells, rng(2))
    np.testing.assert_array_equal(np.bincount(j), [12, 12, 12, 12])
    assert n_autapses(cells, cells, i, j) == 0
    assert_sorted_by_post_then_pre(i, j, duplicates=True)
    assert np.any(np.diff(j * 10 + i) == 0)  # with 12 of 3 available, repeats are certain


def test_fixed_in_degree_errors():
    cells = np.arange(4)
    with pytest.raises(ValueError, match=r"post 0 \(cell id 0\) has only 3 available pres"):
        FixedInDegree(4).pairs(cells, cells, rng())
    with pytest.raises(ValueError, match=r"only 2 available pres \(of 2\); lower k"):
        FixedInDegree(3, autapses=True).pairs(np.arange(2), cells, rng())
    with pytest.raises(ValueError, match=r"only 0 available pres .* set autapses=True"):
        FixedInDegree(1, duplicates=True).pairs(np.array([2]), np.array([2]), rng())
    with pytest.raises(ValueError, match=r"k=2.5 must be a non-negative whole number"):
        FixedInDegree(2.5)
    with pytest.raises(ValueError, match=r"k=-1 must be a non-negative whole number"):
        FixedInDegree(-1)
    assert FixedInDegree(3.0).k == 3


@pytest.mark.parametrize("n_pre,n_post,k", [(30, 40, 5), (1_000, 20_000, 10)])
def test_fixed_out_degree_exact_and_sorted(n_pre, n_post, k):
    pre, post = np.arange(n_pre), np.arange(n_post)
    i, j = FixedOutDegree(k).pairs(pre, post, rng(1))
    np.testing.assert_array_equal(np.bincount(i, minlength=n_pre), np.full(n_pre, k))
    assert_sorted_by_post_then_pre(i, j)
    assert n_autapses(pre, post, i, j) == 0


def test_fixed_out_degree_errors():
    with pytest.raises(ValueError, match=r"FixedOutDegree\(k=3\): pre 0 .* only 2 available posts"):
        FixedOutDegree(3).pairs(np.arange(3), np.arange(3), rng())
    with pytest.raises(ValueError, match=r"pre 1 \(cell id 5\) has only 1 available posts"):
        FixedOutDegree(2).pairs(np.array([-1, 5]), np.array([5, 6]), rng())


@pytest.mark.parametrize(
    "rule", [FixedInDegree(3), FixedOutDegree(3), FixedInDegree(3, duplicates=True), Random(0.3)]
)
def test_random_rules_reproducible_by_seed(rule):
    cells = np.arange(30)
    a, b, c = (rule.pairs(cells, cells, rng(s)) for s in (11, 11, 12))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


# --- FromMatrix, EdgeList ---


def test_from_matrix_pairs_and_weights():
    m = np.array([[0.0, 2.0, 0.0], [1.5, 0.0, 3.0]])  # 2 pres, 3 posts
    rule = FromMatrix(m)
    i, j = rule.pairs(np.arange(2), np.arange(3), rng())
    np.testing.assert_array_equal(i, [1, 0, 1])
    np.testing.assert_array_equal(j, [0, 1, 2])
    np.testing.assert_array_equal(rule.weights(), m[i, j])
    assert FromMatrix(m > 0).weights().tolist() == [1.0, 1.0, 1.0]


def test_from_matrix_errors():
    with pytest.raises(
        ValueError, match=r"matrix has shape \(2, 3\), but the populations need .* = \(3, 2\)"
    ):
        FromMatrix(np.ones((2, 3))).pairs(np.arange(3), np.arange(2), rng())
    with pytest.raises(ValueError, match=r"matrix must be a 2-D numeric array .* shape \(3,\)"):
        FromMatrix(np.ones(3))
    with pytest.raises(ValueError, match=r"matrix\[1, 0\] is nan"):
        FromMatrix(np.array([[1.0], [np.nan]]))


def test_edge_list_sorted_with_duplicates_and_order():
    pre = np.array([2, 0, 1, 0, 2])
    post = np.array([1, 1, 0, 1, 0])
    rule = EdgeList(pre, post)
    i, j = rule.pairs(np.arange(3), np.arange(2), rng())
    np.testing.assert_array_equal(j, [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(i, [1, 2, 0, 0, 2])
    o = rule.order()
    np.testing.assert_array_equal(pre[o], i)
    np.testing.assert_array_equal(post[o], j)
    cells = np.arange(3)  # explicit autapses stay
    assert EdgeList([0, 1], [0, 1]).pairs(cells, cells, rng())[0].size == 2
    assert EdgeList([1.0], [0]).pre.dtype == np.int64


def test_edge_list_errors():
    with pytest.raises(ValueError, match=r"post\[1\]=5 is out of range; .* has 3 elements"):
        EdgeList([0, 1, 2], [0, 5, 7]).pairs(np.arange(3), np.arange(3), rng())
    with pytest.raises(ValueError, match=r"pre\[2\]=3 is out of range"):
        EdgeList([0, 1, 3], [0, 0, 0]).pairs(np.arange(3), np.arange(3), rng())
    with pytest.raises(ValueError, match=r"same length.*\(got 2 and 3\)"):
        EdgeList([0, 1], [0, 1, 2])
    with pytest.raises(ValueError, match=r"pre\[1\]=1.5 is not an integer index"):
        EdgeList([0, 1.5], [0, 1])
    with pytest.raises(ValueError, match=r"post\[0\]=-1 is negative"):
        EdgeList([0], [-1])
    with pytest.raises(ValueError, match=r"pre must be a 1-D array of integer indices"):
        EdgeList(np.array(["a"]), [0])


# --- per-connection values and locations ---


def test_resolve_values_scalar_array_callable():
    r = rng()
    np.testing.assert_array_equal(resolve_values("w", 0.5, 3, r, "µS"), [0.5, 0.5, 0.5])
    out = resolve_values("w", [1, 2, 3], 3, r, "µS")
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
    a = resolve_values("w", lambda g, n: g.uniform(0, 1, n), 4, rng(9), "µS")
    np.testing.assert_array_equal(a, rng(9).uniform(0, 1, 4))


def test_resolve_values_errors():
    r = rng()
    with pytest.raises(ValueError, match=r"weight_uS: the given array has shape \(2,\).*\(3,\)"):
        resolve_values("weight_uS", [1.0, 2.0], 3, r, "µS")
    with pytest.raises(ValueError, match=r"delay_ms: the callable delay_ms\(rng, n=3\) has shape"):
        resolve_values("delay_ms", lambda g, n: np.ones(n + 1), 3, r, "ms")
    with pytest.raises(ValueError, match=r"weight_uS\[1\] is nan; every value must be finite"):
        resolve_values("weight_uS", [1.0, np.nan], 2, r, "µS")
    with pytest.raises(ValueError, match=r"delay_ms\[0\] = -1.0 ms is below the minimum 0 ms"):
        resolve_values("delay_ms", -1, 2, r, "ms", minimum=0)
    with pytest.raises(ValueError, match=r"weight_uS: the given array gave dtype"):
        resolve_values("weight_uS", "big", 2, r, "µS")


def test_random_compartments_uniform_over_candidates():
    cand = np.array([3, 7, 8, 20])
    out = random_compartments(cand, 4000, rng(1))
    values, counts = np.unique(out, return_counts=True)
    np.testing.assert_array_equal(values, cand)
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(4000 * 0.25 * 0.75))
    np.testing.assert_array_equal(out, random_compartments(cand, 4000, rng(1)))
    with pytest.raises(ValueError, match=r"candidates is empty"):
        random_compartments(np.array([], int), 3, rng())


def test_random_compartments_per_post():
    cands = [np.array([0, 1]), np.array([5]), np.array([9, 10, 11])]
    post = np.array([0, 2, 1, 2, 0, 2] * 200)
    out = random_compartments_per_post(cands, post, rng(2))
    for j, c in enumerate(cands):
        assert set(out[post == j].tolist()) == set(c.tolist())
    with pytest.raises(ValueError, match=r"candidates\[1\] is empty"):
        random_compartments_per_post([np.array([0]), np.array([], int)], post[:2], rng())
    with pytest.raises(ValueError, match=r"post\[1\]=2 is out of range; candidates has 2 cells"):
        random_compartments_per_post(cands[:2], np.array([0, 2]), rng())
