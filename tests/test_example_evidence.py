"""examples/evidence_integration.py: the trial generator's statistics, the ideal observer's
accuracy against a Monte-Carlo estimate, the logistic-regression baseline, the input currents'
timing, save/load of the parameters, and the --quick run (it asserts that the loss falls and the
test accuracy beats chance) followed by --evaluate of the parameters it wrote (the same test
accuracy). The --quick run takes about 30 s on two shared cores (mostly JIT compilation)."""

import dataclasses
import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from _examples import loaded_example

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "evidence_integration.py"


@pytest.fixture(scope="module")
def ev():
    with loaded_example(EXAMPLE, "evidence_integration") as module:
        yield module


def test_trials_have_the_stated_statistics(ev):
    s = ev.FULL
    n = 20_000
    x, y = ev.make_trials(np.random.default_rng(7), n, s)
    assert x.shape == (n, s.n_bins, 2) and y.shape == (n,)
    assert set(np.unique(y)) == {0, 1}
    assert abs(y.mean() - 0.5) < 4 * 0.5 / math.sqrt(n)
    hi, lo = s.mean + s.gap / 2, s.mean - s.gap / 2
    # the stream named by the label has the larger mean, the other the smaller
    for label, (mean_a, mean_b) in ((0, (hi, lo)), (1, (lo, hi))):
        sel = x[y == label]
        se = s.noise_std / math.sqrt(sel.shape[0] * s.n_bins)
        assert abs(sel[..., 0].mean() - mean_a) < 5 * se
        assert abs(sel[..., 1].mean() - mean_b) < 5 * se
    resid = x - np.where(np.stack([y == 0, y == 1], -1), hi, lo)[:, None, :]
    assert resid.std() == pytest.approx(s.noise_std, rel=0.01)
    # independent bins and streams
    assert abs(np.corrcoef(resid[:, 0, 0], resid[:, 1, 0])[0, 1]) < 0.05
    assert abs(np.corrcoef(resid[:, 0, 0], resid[:, 0, 1])[0, 1]) < 0.05
    # the same seed gives the same trials
    x2, y2 = ev.make_trials(np.random.default_rng(7), n, s)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("window_ms", [10.0, 50.0, 200.0])
def test_ideal_observer_matches_monte_carlo(ev, window_ms):
    s = dataclasses.replace(ev.FULL, gap=0.1)  # a harder task: accuracies well below 1
    n = 40_000
    x, y = ev.make_trials(np.random.default_rng(11), n, s)
    k = int(round(window_ms / s.bin_ms))
    diff = x[:, -k:, 1].sum(1) - x[:, -k:, 0].sum(1)  # B - A over the last k bins
    mc = np.mean((diff > 0) == (y == 1))
    exact = ev.observer_accuracy(s, window_ms)
    assert 0.55 < exact < 0.95
    assert abs(mc - exact) < 4 * math.sqrt(exact * (1 - exact) / n)


def test_observer_accuracy_at_the_default_difficulty(ev):
    s = ev.FULL
    assert ev.observer_accuracy(s, s.bin_ms) == pytest.approx(0.760, abs=5e-4)  # one bin
    assert ev.observer_accuracy(s, s.stim_ms) > 0.99999  # the whole stimulus
    assert ev.observer_accuracy(s, 150.0) < 0.999 < ev.observer_accuracy(s, 200.0)


def test_logistic_regression_on_summed_evidence_is_the_ideal_observer(ev):
    s = dataclasses.replace(ev.FULL, gap=0.05)
    x, y = ev.make_trials(np.random.default_rng(3), 4000, s)
    xt, yt = ev.make_trials(np.random.default_rng(4), 20_000, s)
    f = ev.summed_evidence_features
    w = ev.logistic_regression(f(x), y)
    assert w[1] > 0 > w[0]  # B's evidence votes for label 1
    acc = ev.logistic_accuracy(w, f(xt), yt)
    ideal = ev.observer_accuracy(s, s.stim_ms)
    assert abs(acc - ideal) < 0.015
    assert ev.logistic_accuracy(-w, f(xt), yt) < 1 - ideal + 0.015  # the sign matters


def test_training_trials_replays_the_training_stream(ev):
    s = dataclasses.replace(ev.QUICK, steps=3, batch=5)
    x, y = ev.training_trials(s)
    assert x.shape == (15, s.n_bins, 2)
    rng = np.random.default_rng(1000 + s.seed)
    for i in range(3):
        xb, yb = ev.make_trials(rng, s.batch, s)
        np.testing.assert_array_equal(x[5 * i : 5 * i + 5], xb)
        np.testing.assert_array_equal(y[5 * i : 5 * i + 5], yb)


@pytest.fixture(scope="module")
def quick_model(ev):
    s = ev.QUICK
    model = ev.build_model(s)
    return s, model, ev.init_params(model, s)


def test_currents_follow_the_bins_and_stop_in_the_response_window(ev, quick_model):
    s, model, u = quick_model
    p = model.physical(u)
    x, _ = ev.make_trials(np.random.default_rng(0), 1, s)
    current = np.asarray(model.currents(p, x[0]))  # (n_steps, sites)
    assert current.shape == (model.system.n_steps, s.n_rec)
    w = np.asarray(p["w_in"])
    b = np.asarray(p["bias"])
    steps_per_bin = int(round(s.bin_ms / s.dt_ms))
    for k in (0, 3, s.n_bins - 1):
        expect = x[0, k] @ w.T + b
        rows = current[k * steps_per_bin : (k + 1) * steps_per_bin]
        np.testing.assert_allclose(rows, np.broadcast_to(expect, rows.shape), rtol=1e-6)
    tail = current[int(round(s.stim_ms / s.dt_ms)) :]
    assert tail.shape[0] == int(round(s.response_ms / s.dt_ms))
    np.testing.assert_allclose(tail, np.broadcast_to(b, tail.shape), rtol=1e-6)
    # the initial tonic current cancels the streams' mean drive
    np.testing.assert_allclose(b, s.bias_init * s.current_scale_nA - s.mean * w.sum(1))


def test_params_round_trip(ev, quick_model, tmp_path):
    s, model, u = quick_model
    s = dataclasses.replace(s, seed=5, learning_rate=0.123)
    path = tmp_path / "p.npz"
    ev.save_params(path, u, s)
    u2, s2 = ev.load_params(path)
    assert s2 == s
    assert set(u2) == set(u) and set(u2["syn"]) == set(u["syn"])
    for a, b in zip(
        [u["w_in"], u["bias"], *u["syn"].values()], [u2["w_in"], u2["bias"], *u2["syn"].values()]
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(FileNotFoundError, match="--evaluate"):
        ev.load_params(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="missing"):
        ev.load_params(tmp_path / "other.npz")


def test_bad_arguments_are_named(ev, tmp_path):
    with pytest.raises(ValueError, match="--steps=0"):
        ev.main(["--quick", "--steps", "0", "--out", str(tmp_path)])


def test_check_learned_fails_without_learning(ev):
    flat = {"training": {"loss_first_10": 0.69, "loss_last_10": 0.70},
            "test": {"accuracy": 0.9, "n_trials": 200}}  # fmt: skip
    with pytest.raises(AssertionError, match="did not fall"):
        ev.check_learned(flat)
    chance = {"training": {"loss_first_10": 0.69, "loss_last_10": 0.6},
              "test": {"accuracy": 0.55, "n_trials": 200}}  # fmt: skip
    with pytest.raises(AssertionError, match="chance"):
        ev.check_learned(chance)


def test_quick_run_learns_and_evaluate_reproduces_it(ev, tmp_path):
    out = tmp_path / "quick"
    results = ev.main(["--quick", "--out", str(out)])  # asserts that it learned
    stored = json.loads((out / "results.json").read_text())
    assert stored["test"]["accuracy"] == results["test"]["accuracy"] > 0.6
    assert stored["test"]["n_trials"] == ev.QUICK.n_test
    assert stored["training"]["steps"] == ev.QUICK.steps
    assert stored["training"]["trials_seen"] == ev.QUICK.steps * ev.QUICK.batch
    base = stored["baselines"]
    assert base["ideal_observer_test_trials"] >= base["logistic_summed_evidence"]["accuracy"] - 0.02
    for name in ("trials.png", "network.png", "training.png"):
        assert (out / name).stat().st_size > 10_000
    again = ev.main(["--evaluate", str(out / "params.npz"), "--out", str(tmp_path / "eval")])
    assert again["test"]["accuracy"] == stored["test"]["accuracy"]
    assert again["test"]["n_errors"] == stored["test"]["n_errors"]
