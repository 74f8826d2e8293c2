"""Losses and differentiable trace features: values, windows, weights, batching, gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx


def spikes(t, times, rest=-65.0, peak=30.0, width=0.3):
    """A synthetic trace: Gaussian-shaped spikes from ``rest`` to ``peak`` mV at ``times``."""
    v = np.full_like(t, rest)
    for s in times:
        v += (peak - rest) * np.exp(-(((t - s) / width) ** 2))
    return v


T = np.arange(0.0, 50.0 + 1e-9, 0.025)
# jitted versions: one compilation per shape instead of eager op-by-op dispatch
mse = jax.jit(dx.mse)
soft_spike_count = jax.jit(dx.soft_spike_count)
soft_max = jax.jit(dx.soft_max)


def test_mse_matches_numpy_with_window_and_weights():
    rng = np.random.default_rng(0)
    p, y = rng.normal(size=(2, T.size)), rng.normal(size=(2, T.size))
    assert float(mse(p, y)) == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    inside = (T >= 10.0) & (T <= 20.0)
    want = np.mean(((p - y) ** 2)[:, inside])
    assert float(mse(p, y, t_ms=T, window_ms=(10.0, 20.0))) == pytest.approx(want, rel=1e-12)
    w = np.array([[1.0], [3.0]])  # one weight per trace
    want = np.sum(w * (p - y) ** 2) / np.sum(w * np.ones_like(p))
    assert float(mse(p, y, weights=w)) == pytest.approx(want, rel=1e-12)
    g = jax.grad(lambda q: dx.mse(q, y, weights=w))(jnp.asarray(p))
    np.testing.assert_allclose(g, 2 * w * (p - y) / np.sum(w * np.ones_like(p)), rtol=1e-12)


def test_window_bounds_are_traced_without_recompiling():
    traces = []

    @jax.jit
    def windowed(lo, hi):
        traces.append(1)
        return dx.window_mean(jnp.asarray(T), t_ms=T, window_ms=(lo, hi))

    assert float(windowed(10.0, 20.0)) == pytest.approx(15.0, abs=1e-9)
    assert float(windowed(0.0, 50.0)) == pytest.approx(25.0, abs=1e-9)
    assert len(traces) == 1
    np.testing.assert_array_equal(dx.time_mask(T, (1.0, 1.05)), (T >= 1.0) & (T <= 1.05))


def test_argument_errors():
    with pytest.raises(ValueError, match="needs t_ms"):
        dx.mse(T, T, window_ms=(0, 1))
    with pytest.raises(ValueError, match="shape"):
        dx.mse(T, T[:-1])
    with pytest.raises(ValueError, match="samples"):
        dx.soft_spike_count(T, t_ms=T[:-1], window_ms=(0, 1))


@pytest.mark.parametrize("dt", [0.025, 0.1])
def test_soft_spike_count_counts_crossings(dt):
    t = np.arange(0.0, 50.0 + 1e-9, dt)
    v = spikes(t, [5.0, 20.0, 35.0])
    assert float(soft_spike_count(v)) == pytest.approx(3.0, abs=1e-3)
    assert float(soft_spike_count(v, t_ms=t, window_ms=(10.0, 50.0))) == pytest.approx(
        2.0, abs=1e-3
    )
    assert float(soft_spike_count(spikes(t, [5.0], peak=-30.0))) < 1e-3  # subthreshold
    batch = np.stack([v, spikes(t, [25.0])])
    np.testing.assert_allclose(soft_spike_count(batch), [3.0, 1.0], atol=1e-3)


def test_soft_spike_count_gradient_near_threshold():
    def count(peak):
        v = -65.0 + (peak + 65.0) * jnp.exp(-(((jnp.asarray(T) - 10.0) / 0.5) ** 2))
        return soft_spike_count(v, threshold_mV=0.0, width_mV=2.0)

    g = jax.grad(count)(-1.0)  # a spike just below threshold: raising it raises the count
    assert np.isfinite(g) and g > 0.05
    fd = (count(-1.0 + 1e-4) - count(-1.0 - 1e-4)) / 2e-4
    assert float(g) == pytest.approx(float(fd), rel=1e-5)


def test_summary_statistics():
    v = spikes(T, [10.0, 30.0])
    stats = jax.jit(dx.summary_statistics, static_argnames="window_ms")
    mean, std, count = np.asarray(stats(v, t_ms=T, window_ms=(0.0, 50.0)))
    assert mean == pytest.approx(np.mean(v), rel=1e-12)
    assert std == pytest.approx(np.std(v), rel=1e-7)  # sqrt(var + 1e-6 mV²)
    assert count == pytest.approx(2.0, abs=1e-3)
    assert jax.eval_shape(dx.summary_statistics, np.stack([v, v, v])).shape == (3, 3)
    flat = jnp.full(100, -65.0)
    g = jax.jit(jax.grad(lambda x: dx.window_std(x)))(flat)  # zero variance: finite gradient
    assert bool(jnp.all(jnp.isfinite(g)))


def test_soft_max_bounds_and_window():
    v = spikes(T, [10.0, 30.0], peak=20.0)
    sm = float(soft_max(v, temperature=0.5))
    assert v.max() <= sm <= v.max() + 0.5 * np.log(v.size)
    windowed = float(soft_max(v, temperature=0.1, t_ms=T, window_ms=(40.0, 50.0)))
    assert windowed == pytest.approx(-65.0, abs=0.1 * np.log(T.size) + 1e-6)


def test_float32_values_and_gradients_are_finite():
    v = jnp.asarray(spikes(T, [10.0, 30.0]), dtype=jnp.float32)
    y = jnp.asarray(spikes(T, [12.0]), dtype=jnp.float32)

    def total(x):
        return (
            dx.mse(x, y, t_ms=T, window_ms=(5.0, 45.0))
            + dx.soft_spike_count(x)
            + dx.window_std(x)
            + dx.soft_max(x)
        )

    value, g = jax.jit(jax.value_and_grad(total))(v)
    assert np.isfinite(float(value)) and bool(jnp.all(jnp.isfinite(g)))
    assert g.dtype == jnp.float32
