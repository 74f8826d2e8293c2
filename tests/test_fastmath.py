"""dendrax.mechanisms.exp: accuracy against numpy, clipping, and jit/grad/vmap.

Tolerances: 3 eps relative. Measured max: 1.42 eps jitted (``jnp.exp`` itself: 1.41 eps against
numpy), 2.1 eps when run eagerly op by op (no fused multiply-add).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax  # noqa: F401  (enables float64)
from dendrax.mechanisms import exp
from dendrax.mechanisms._fastmath import X_MAX, X_MIN

EPS64 = np.finfo(np.float64).eps


def test_float64_matches_numpy_to_round_off_over_the_whole_range():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(X_MIN, X_MAX, 400_001),
            rng.uniform(-20.0, 20.0, 200_000),  # where rate functions live
            np.array([0.0, -0.0, 1e-300, -1e-300, 0.5 * np.log(2.0), -0.5 * np.log(2.0)]),
        ]
    )
    got = np.asarray(jax.jit(exp)(jnp.asarray(x)))
    want = np.exp(x)
    rel = np.abs(got - want) / want
    assert rel.max() <= 3 * EPS64, f"max relative error {rel.max():.3g} at x={x[rel.argmax()]}"


def test_float64_near_the_range_reduction_boundaries():
    # x close to (k + 1/2) ln 2, where round() switches k: both sides must agree with numpy.
    k = np.arange(-1000, 1000)
    mid = (k + 0.5) * np.log(2.0)
    x = np.concatenate([np.nextafter(mid, -np.inf), mid, np.nextafter(mid, np.inf), [0.0]])
    got = np.asarray(exp(jnp.asarray(x)))
    np.testing.assert_allclose(got, np.exp(x), rtol=3 * EPS64)
    assert got[-1] == 1.0


def test_out_of_range_arguments_stay_finite_and_positive():
    x = jnp.array([-1e4, -800.0, X_MIN, X_MAX, 710.0, 1e4])
    y = np.asarray(exp(x))
    assert np.all(np.isfinite(y)) and np.all(y > 0)
    assert y[0] == y[1] == y[2] == pytest.approx(np.exp(X_MIN), rel=2 * EPS64)
    assert y[3] == y[4] == y[5] == pytest.approx(np.exp(X_MAX), rel=2 * EPS64)
    g = jax.grad(lambda z: exp(z).sum())(x)
    assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float16])
def test_other_dtypes_use_jnp_exp(dtype):
    x = jnp.linspace(-10, 10, 101, dtype=dtype)
    y = exp(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(jnp.exp(x)))


def test_grad_jacfwd_and_vmap():
    x = jnp.linspace(-30.0, 30.0, 13)
    g = jax.vmap(jax.grad(exp))(x)
    np.testing.assert_allclose(np.asarray(g), np.exp(np.asarray(x)), rtol=3 * EPS64)
    j = jax.jacfwd(exp)(x)
    np.testing.assert_allclose(np.diag(np.asarray(j)), np.exp(np.asarray(x)), rtol=3 * EPS64)
    h = jax.grad(jax.grad(lambda z: exp(2.0 * z)))(0.3)
    assert float(h) == pytest.approx(4.0 * np.exp(0.6), rel=1e-14)
