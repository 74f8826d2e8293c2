"""The pieces of the default fit (docs/fitting.md): windowed features, the log-scaled bound,
phases (Adam then L-BFGS) and multi-start in ``dendrax.fit``, and the new FIT.json fields with
errors that name the field. The recovery of a NEURON recording is tests/test_fit_defaults.py."""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx
from dendrax.io._fit_config import (
    FitConfigError,
    LossTerm,
    default_loss,
    fit_config_from_dict,
    trace_loss,
)
from dendrax.io._model_json import model_from_dict
from dendrax.train._features import window_index, windowed_features
from dendrax.train._fit import Phase, adam_then_lbfgs
from dendrax.train._transforms import LogSigmoid


def numpy_windows(x, t, width, lo=None, hi=None):
    """Reference: mean, std and member count of every window, written out with loops."""
    lo = t[0] if lo is None else lo
    hi = t[-1] if hi is None else hi
    n = max(1, int(np.floor((hi - lo) / width + 1e-9)))
    if (hi - lo) - n * width >= 0.5 * width:
        n += 1
    out = []
    for k in range(n):
        start = lo + k * width
        stop = lo + (k + 1) * width if k < n - 1 else hi + 1e-12
        inside = (t >= start) & (t < stop) & (t <= hi)
        out.append((x[inside].mean(), np.sqrt(x[inside].var() + 1e-6)))
    return np.array(out)


@pytest.mark.parametrize("width, window", [(5.0, None), (7.0, None), (3.0, (2.0, 17.5))])
def test_windowed_mean_and_std_match_a_loop(width, window):
    t = np.arange(0.0, 30.0 + 1e-9, 0.1)
    x = np.sin(t) * 20 - 60 + 0.3 * t
    got = np.asarray(windowed_features(x, t, width_ms=width, window_ms=window))
    lo, hi = window if window else (None, None)
    want = numpy_windows(x, t, width, lo, hi)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # batches: leading axes are kept
    both = np.asarray(windowed_features(np.stack([x, 2 * x]), t, width_ms=width, window_ms=window))
    np.testing.assert_allclose(both[0], got, rtol=1e-12)
    assert both.shape == (2, *got.shape)


def test_short_remainder_joins_the_last_window():
    t = np.arange(0.0, 12.0 + 1e-9, 1.0)  # 12 ms in 5 ms windows: 0-5, 5-12 (2 ms left over)
    index, n = window_index(t, 5.0)
    assert n == 2 and list(index) == [0] * 5 + [1] * 8
    index, n = window_index(np.arange(0.0, 13.0 + 1e-9, 1.0), 5.0)  # 3 ms left: a window
    assert n == 3 and index[-1] == 2
    index, n = window_index(t, 50.0)  # wider than the trace: one window
    assert n == 1 and np.all(index == 0)
    with pytest.raises(ValueError, match="width_ms"):
        window_index(t, 0.0)
    with pytest.raises(ValueError, match="no sample"):
        window_index(t, 1.0, (20.0, 30.0))


def test_windowed_spike_count_counts_spikes_per_window():
    t = np.arange(0.0, 20.0 + 1e-9, 0.025)
    v = np.full(t.size, -65.0)
    for t0 in (2.0, 3.5, 12.0):  # two spikes in the first 10 ms window, one in the second
        v += 100.0 * np.exp(-(((t - t0) / 0.3) ** 2))
    counts = np.asarray(windowed_features(v, t, width_ms=10.0, features=("spike_count",)))[:, 0]
    np.testing.assert_allclose(counts, [2.0, 1.0], atol=1e-3)


def test_features_are_differentiable_under_jit():
    t = np.arange(0.0, 10.0 + 1e-9, 0.05)

    @jax.jit
    def f(a):
        x = a * jnp.sin(jnp.asarray(t)) - 65.0
        return jnp.sum(windowed_features(x, t, width_ms=2.0, features=("mean", "std")) ** 2)

    g = jax.grad(f)(1.5)
    eps = 1e-6
    fd = (f(1.5 + eps) - f(1.5 - eps)) / (2 * eps)
    assert np.isfinite(g) and g == pytest.approx(float(fd), rel=1e-6)
    flat = jax.grad(lambda a: jnp.sum(windowed_features(a * jnp.zeros(t.size), t)))(1.0)
    assert np.isfinite(flat)  # sqrt(var + eps): finite for a flat trace


def test_log_sigmoid_bounds_on_a_log_scale():
    t = LogSigmoid(1e-5, 1e-2)
    x = jnp.array([2e-5, 3e-4, 9e-3])
    np.testing.assert_allclose(t.forward(t.inverse(x)), x, rtol=1e-12)
    assert float(t.forward(0.0)) == pytest.approx(np.sqrt(1e-5 * 1e-2), rel=1e-12)
    assert float(t.forward(-40.0)) == pytest.approx(1e-5, rel=1e-12)  # at the bound
    with pytest.raises(ValueError, match="0 < lower < upper"):
        LogSigmoid(0.0, 1.0)
    with pytest.raises(ValueError, match="strictly inside"):
        t.check("g", jnp.array([1e-2]))


def quadratic(p):
    return jnp.sum((p["x"] - 0.3) ** 2) + (p["y"] - 2.0) ** 2


def test_phases_run_in_order_and_lbfgs_converges():
    p0 = {"x": jnp.array([0.9, 0.1]), "y": jnp.array(0.0)}
    result = dx.fit(quadratic, p0, [Phase(optax.adam(0.05), 5, "adam"),
                                    Phase(dx.train._fit.lbfgs(), 20, "lbfgs", patience=3)],
                    progress=False)  # fmt: skip
    assert result.phase_names == ("adam", "lbfgs")
    assert list(result.phase[:5]) == [0] * 5 and set(result.phase[5:]) == {1}
    assert result.best_loss < 1e-12
    np.testing.assert_allclose(result.params["x"], [0.3, 0.3], atol=1e-6)
    assert result.evaluations >= result.history.size
    with pytest.raises(ValueError, match="each phase has its own steps"):
        dx.fit(quadratic, p0, [Phase(optax.adam(0.1), 5)], 10, progress=False)
    with pytest.raises(ValueError, match="steps=0"):
        dx.fit(quadratic, p0, [Phase(optax.adam(0.1), 0)], progress=False)
    assert [p.name for p in adam_then_lbfgs(10, 0)] == ["adam"]


def bumpy(p):
    """Two basins in x: a local minimum near 0.8 (loss 0.05) and the global one at 0.2."""
    x = p["x"]
    return jnp.sum(jnp.minimum((x - 0.2) ** 2, (x - 0.8) ** 2 + 0.05))


def test_multi_start_keeps_the_best_and_is_seeded():
    bounds = {"x": dx.Sigmoid(0.0, 1.0)}
    p0 = {"x": jnp.array([0.85])}  # in the worse basin
    one = dx.fit(bumpy, p0, optax.adam(0.1), 100, parameter_map=bounds, progress=False)
    assert one.params["x"][0] == pytest.approx(0.8, abs=1e-2)
    many = dx.fit(bumpy, p0, optax.adam(0.1), 100, parameter_map=bounds, progress=False,
                  n_starts=6, seed=3)  # fmt: skip
    assert many.params["x"][0] == pytest.approx(0.2, abs=1e-2) and many.start != 0
    assert many.start_losses.shape == (6,) and many.best_loss == many.start_losses.min()
    assert many.start_losses[0] == pytest.approx(one.best_loss)
    assert len(many.start_histories) == 6 and many.start_params[many.start]["x"].shape == (1,)
    again = dx.fit(bumpy, p0, optax.adam(0.1), 100, parameter_map=bounds, progress=False,
                   n_starts=6, seed=3)  # fmt: skip
    np.testing.assert_array_equal(again.start_losses, many.start_losses)
    with pytest.raises(ValueError, match="bounded transform"):
        dx.fit(bumpy, p0, optax.adam(0.1), 5, n_starts=2, progress=False)
    with pytest.raises(ValueError, match="n_starts"):
        dx.fit(bumpy, p0, optax.adam(0.1), 5, n_starts=0, progress=False)


def test_a_diverging_start_is_skipped():
    def loss(p):  # NaN for x > 0.9: starts drawn there diverge, the others go on
        x = p["x"]
        return jnp.sum(jnp.where(x > 0.9, jnp.nan, (x - 0.5) ** 2))

    result = dx.fit(loss, {"x": jnp.array([0.1])}, optax.adam(0.05), 20, progress=False,
                    parameter_map={"x": dx.Sigmoid(0.0, 1.0)}, n_starts=12, seed=0,
                    start_range=4.0)  # fmt: skip
    assert np.isinf(result.start_losses).any() and np.isfinite(result.best_loss)
    assert result.start_params[int(np.argmax(np.isinf(result.start_losses)))] is None


# --- FIT.json ---------------------------------------------------------------------------

MODEL = {
    "format": "neuroref-case/1", "celsius": 6.3, "v_init_mV": -65.0, "dt_ms": 0.05,
    "tstop_ms": 10.0, "method": {"name": "backward_euler"},
    "branches": [{"name": "soma", "parent": -1, "parent_x": 1.0, "length_um": 20.0, "ncomp": 1,
                  "diam_um": [20.0], "Ra_ohm_cm": 100.0, "cm_uF_cm2": 1.0,
                  "mechanisms": {"hh": {}}, "swc_type": 1}],
    "stimuli": [],
    "recordings": [{"key": "v_soma", "var": "v", "branch": 0, "x": 0.5}],
}  # fmt: skip
BASE = {"parameters": [{"quantity": "hh.gkbar", "bounds": [0.01, 0.1]}]}


@pytest.fixture(scope="module")
def cell():
    return model_from_dict(MODEL)[0]


def test_default_config_uses_log_bounds_features_and_adam_then_lbfgs(cell):
    config = fit_config_from_dict(BASE, cell, ["v_soma"])
    assert config.trainables[0].transform == LogSigmoid(0.01, 0.1)
    assert config.default_loss and config.default_optimizer
    assert config.loss == default_loss(["v_soma"])
    assert [(t.kind, t.weight, t.width_ms) for t in config.loss] == [
        ("mse", 1.0, (5.0, 20.0, 50.0)),
        ("windowed_mean", 10.0, (5.0, 20.0, 50.0)),
        ("windowed_std", 10.0, (5.0, 20.0, 50.0)),
    ]
    assert [(p.name, p.steps, p.patience) for p in config.phases] == [
        ("adam", 100, None), ("lbfgs", 200, 20)
    ]  # fmt: skip
    assert config.n_starts == 1 and config.seed == 0
    short = fit_config_from_dict({**BASE, "steps": 30}, cell, ["v_soma"])
    assert [p.steps for p in short.phases] == [10, 20]
    linear = copy.deepcopy(BASE)
    linear["parameters"][0]["scale"] = "linear"
    assert fit_config_from_dict(linear, cell, ["v_soma"]).trainables[0].transform == dx.Sigmoid(
        0.01, 0.1
    )
    reversal = {"parameters": [{"quantity": "hh.el", "bounds": [-80, -40]}]}
    assert fit_config_from_dict(reversal, cell, ["v_soma"]).trainables[0].transform == dx.Sigmoid(
        -80, -40
    )


def test_optimizer_lists_and_new_fields(cell):
    data = {
        **BASE,
        "optimizer": [
            {"name": "adam", "learning_rate": 0.2, "schedule": "cosine", "steps": 7},
            {"name": "lbfgs", "memory_size": 5, "steps": 9, "patience": 4},
        ],
        "loss": [{"type": "windowed_std", "key": "v_soma", "width_ms": 2.5},
                 {"type": "windowed_spike_count", "key": "v_soma", "width_ms": [2, 4]}],
        "n_starts": 3,
        "seed": 11,
    }  # fmt: skip
    config = fit_config_from_dict(data, cell, ["v_soma"])
    assert [(p.name, p.steps, p.patience) for p in config.phases] == [
        ("adam", 7, None), ("lbfgs", 9, 4)
    ]  # fmt: skip
    assert config.optimizer_spec[1] == {"name": "lbfgs", "memory_size": 5, "patience": 4,
                                        "steps": 9}  # fmt: skip
    assert [t.width_ms for t in config.loss] == [(2.5,), (2.0, 4.0)]
    assert (config.n_starts, config.seed) == (3, 11)


def with_loss(**term):
    return {**BASE, "loss": [{"key": "v_soma", **term}]}


def with_param(**changes):
    return {"parameters": [{**BASE["parameters"][0], **changes}]}


BAD = [
    (with_param(scale="logarithmic"), r"parameters\[0\].scale='logarithmic'"),
    (with_param(scale="log", bounds=[-1.0, 1.0]), r'parameters\[0\].scale="log" needs a positive'),
    (with_param(scale="log", bounds=None), r"parameters\[0\].scale='log' applies to \[lower"),
    (with_loss(type="windowed_rms"), r"loss\[0\].type='windowed_rms'"),
    (with_loss(type="windowed_mean", width_ms=0), r"loss\[0\].width_ms must be > 0"),
    (with_loss(type="windowed_mean", width_ms=[5, -1]), r"loss\[0\].width_ms\[1\] must be > 0"),
    (with_loss(type="windowed_mean", width_ms=[]), r"loss\[0\].width_ms must be a width"),
    (with_loss(type="mse", width_ms=5), r"loss\[0\].width_ms is the window width"),
    ({**BASE, "optimizer": {"name": "lbfgs", "learning_rate": 0.1}},
     r"optimizer.learning_rate: lbfgs takes its step length from a line search"),
    ({**BASE, "optimizer": {"name": "adam", "memory_size": 3}}, "memory_size is a setting of"),
    ({**BASE, "optimizer": {"name": "adam", "schedule": "linear"}},
     r"optimizer.schedule='linear'"),
    ({**BASE, "optimizer": [{"name": "adam"}]}, r"optimizer\[0\] lacks 'steps'"),
    ({**BASE, "optimizer": [{"name": "adam", "steps": 5}], "steps": 10},
     "remove the top-level steps"),
    ({**BASE, "optimizer": []}, "non-empty list"),
    ({**BASE, "optimizer": [{"name": "adam", "steps": 0}]}, r"optimizer\[0\].steps must be"),
    ({**BASE, "optimizer": [{"name": "adam", "steps": 5, "patience": 0}]},
     r"optimizer\[0\].patience must be"),
    ({**BASE, "steps": 1}, "steps must be >= 2 with the default optimiser"),
    ({**BASE, "n_starts": 0}, "n_starts must be an integer >= 1"),
    ({**BASE, "seed": -1}, "seed must be an integer >= 0"),
    ({**BASE, "target_series": ["v_soma"]}, "target_series must map recording keys"),
]  # fmt: skip


@pytest.mark.parametrize("data, match", BAD)
def test_bad_new_fields_name_the_field(cell, data, match):
    with pytest.raises(FitConfigError, match=match):
        fit_config_from_dict(data, cell, ["v_soma"])


def test_trace_loss_sums_window_widths():
    t = np.arange(0.0, 40.0 + 1e-9, 0.5)
    target = {"v": -65.0 + 10 * np.sin(t / 3)}
    model = {"v": jnp.asarray(-60.0 + 12 * np.sin(t / 3 + 0.2))}
    both = trace_loss([LossTerm("windowed_mean", "v", width_ms=(5.0, 20.0))], target, t)(model)
    parts = [
        trace_loss([LossTerm("windowed_mean", "v", width_ms=(w,))], target, t)(model)
        for w in (5.0, 20.0)
    ]
    assert float(both) == pytest.approx(float(parts[0] + parts[1]), rel=1e-12)
    m = windowed_features(model["v"], t, width_ms=20.0)[:, 0]
    y = windowed_features(target["v"], t, width_ms=20.0)[:, 0]
    assert float(parts[1]) == pytest.approx(float(jnp.mean((m - y) ** 2)), rel=1e-12)
