"""Spike sources (model/_sources.py): NetStim times against NEURON's arithmetic and NEURON's own
output, noisy NetStim statistics, spike lists, per-call inputs and delivery slots."""

import json
from pathlib import Path

import numpy as np
import pytest

from dendrax.model._sources import NetStim, SpikeInput, SpikeTimes, delivery_slots

NETWORKS = Path("/work/shared/reference/networks")


def repeated_addition(start, interval, number, t_stop):
    """NETWORK_FORMAT.md's NetStim, one addition at a time."""
    if number == 0 or start < 0:
        return []
    s = (start + interval) - interval
    out = []
    while len(out) < number and s <= t_stop:
        out.append(s)
        s = s + interval
    return out


@pytest.mark.parametrize(
    "start,interval,number,t_stop",
    [(3.07, 6.61, 8, 80.0), (0.1, 0.1, 2000, 150.0), (14.6, 21.01, 50, 200.0), (0, 0.3, 7, 1.0)],
)
def test_netstim_equals_repeated_addition(start, interval, number, t_stop):
    got = NetStim(start, interval, number).event_times(t_stop)
    want = repeated_addition(start, interval, number, t_stop)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_repeated_addition_is_not_start_plus_k_interval():
    # otherwise the test above could not tell the two apart
    want = np.array(repeated_addition(0.1, 0.1, 2000, 150.0))
    assert np.any(want != 0.1 + np.arange(want.size) * 0.1)


def test_netstim_count_cut_and_silence():
    assert NetStim(5.0, 2.0, 3).event_times(100.0).tolist() == [5.0, 7.0, 9.0]
    assert NetStim(5.0, 2.0, 100).event_times(9.0).tolist() == [5.0, 7.0, 9.0]  # <= t_stop
    assert NetStim(5.0, 2.0, 0).event_times(100.0).size == 0
    assert NetStim(-1.0, 2.0, 5).event_times(100.0).size == 0
    assert NetStim(50.0, 2.0, 5).event_times(10.0).size == 0
    assert NetStim(0.0, 1.0, 5.0).number == 5
    assert NetStim(0.0, 2.0**-10, 10**9).event_times(1.0).size == 1025  # number only caps


def test_netstim_errors():
    with pytest.raises(ValueError, match=r"number=5.5 must be a non-negative whole number"):
        NetStim(0.0, 1.0, 5.5)
    with pytest.raises(ValueError, match=r"number=-1 must be a non-negative whole number"):
        NetStim(0.0, 1.0, -1)
    with pytest.raises(ValueError, match=r"interval_ms=0.0 must be > 0 ms"):
        NetStim(0.0, 0.0, 3)
    with pytest.raises(ValueError, match=r"start_ms=nan must be a finite number \(ms\)"):
        NetStim(float("nan"), 1.0, 3)
    with pytest.raises(ValueError, match=r"noise=1.5 must lie in \[0, 1\]"):
        NetStim(0.0, 1.0, 3, noise=1.5)
    with pytest.raises(ValueError, match=r"noise=0.5 needs a seed"):
        NetStim(0.0, 1.0, 3, noise=0.5)
    with pytest.raises(ValueError, match=r"seed=-3 must be a non-negative whole number"):
        NetStim(0.0, 1.0, 3, noise=0.5, seed=-3)
    with pytest.raises(ValueError, match=r"t_stop_ms='x' must be a finite number"):
        NetStim(0.0, 1.0, 3).event_times("x")


def netstim_cases():
    for path in sorted(NETWORKS.glob("*.json")):
        case = json.loads(path.read_text())
        for j, source in enumerate(case["sources"]):
            if source["type"] == "netstim":
                yield pytest.param(path, j, id=f"{path.stem}-source{j}")


@pytest.mark.skipif(not NETWORKS.exists(), reason="NEURON network references not present")
@pytest.mark.parametrize("path,j", list(netstim_cases()))
def test_netstim_matches_neuron(path, j):
    case = json.loads(path.read_text())
    s = case["sources"][j]
    reference = np.load(path.with_suffix(".npz"))[f"netcon_spikes__source{j}"]
    got = NetStim(s["start_ms"], s["interval_ms"], s["number"], s["noise"]).event_times(
        case["tstop_ms"]
    )
    np.testing.assert_array_equal(got, reference)  # bit for bit


def test_netstim_noise_statistics():
    start, interval, noise = 20.0, 10.0, 0.5
    trains = [NetStim(start, interval, 200, noise, seed=s).event_times(1e6) for s in range(300)]
    assert all(t.size == 200 for t in trains)
    isi = np.concatenate([np.diff(t) for t in trains])
    n = isi.size
    # ISI = (1 - noise) interval + noise interval Exp(1): mean interval, sd noise interval
    assert abs(isi.mean() - interval) < 5 * noise * interval / np.sqrt(n)
    assert abs(isi.std() - noise * interval) < 0.05 * noise * interval
    assert isi.min() >= (1 - noise) * interval
    first = np.array([t[0] for t in trains])  # start + noise interval Exp(1)
    assert first.min() >= start
    assert abs(first.mean() - (start + noise * interval)) < 5 * noise * interval / np.sqrt(300)


def test_netstim_poisson_and_seeds():
    t = NetStim(0.0, 5.0, 10**6, noise=1.0, seed=1).event_times(50_000.0)
    isi = np.diff(t)
    assert abs(t.size - 10_000) < 5 * 100  # Poisson count, rate 1/5 per ms
    assert abs(isi.std() / isi.mean() - 1.0) < 0.05  # CV of an exponential
    a = NetStim(0.0, 5.0, 100, noise=1.0, seed=1).event_times(1e9)
    np.testing.assert_array_equal(a, t[:100])  # same seed, same train, whatever t_stop
    b = NetStim(0.0, 5.0, 100, noise=1.0, seed=2).event_times(1e9)
    assert not np.array_equal(a, b)


def test_spike_times():
    s = SpikeTimes([0.0, 1.0, 1.0, 4.5])
    assert s.t_ms.dtype == np.float64
    assert s.event_times(10.0).tolist() == [0.0, 1.0, 1.0, 4.5]
    assert s.event_times(1.0).tolist() == [0.0, 1.0, 1.0]
    assert SpikeTimes([]).event_times(1.0).size == 0


def test_spike_times_errors():
    with pytest.raises(ValueError, match=r"t_ms\[2\]=1.0 is earlier than t_ms\[1\]=2.0"):
        SpikeTimes([0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"t_ms\[1\] is -1.0; every time must be finite and >= 0"):
        SpikeTimes([0.0, -1.0])
    with pytest.raises(ValueError, match=r"t_ms\[0\] is inf"):
        SpikeTimes([np.inf])
    with pytest.raises(ValueError, match=r"t_ms must be a 1-D array .* shape \(1, 2\)"):
        SpikeTimes([[0.0, 1.0]])


def test_spike_input():
    s = SpikeInput("drive_1")
    assert s.name == "drive_1" and not hasattr(s, "event_times")
    with pytest.raises(ValueError, match=r"SpikeInput\(name='1x'\): give a name made of letters"):
        SpikeInput("1x")


def test_delivery_slots_nearest_step_and_initialisation():
    dt = 0.025
    t_d = np.array([0.0, 1e-6, 0.0124, 0.0126, 0.026, 0.0374, 0.0376, 10.0])
    slot, at_init = delivery_slots(t_d, dt)
    assert slot.dtype == np.int64
    assert slot.tolist() == [0, 0, 0, 1, 1, 1, 2, 400]
    assert at_init.tolist() == [True] + [False] * 7


def test_delivery_slots_agree_with_nearest_grid_point():
    dt = 0.025
    t_d = np.random.default_rng(0).uniform(0, 50, 10_000)
    frac = (t_d / dt) % 1
    t_d = t_d[np.abs(frac - 0.5) > 1e-6]  # away from ties
    slot, _ = delivery_slots(t_d, dt)
    np.testing.assert_array_equal(slot, np.round(t_d / dt).astype(np.int64))


def test_delivery_slots_tie_goes_to_the_earlier_step():
    # dt = 0.25 and t_d = (m + 1/2) dt are exact in binary: t_d <= t_m + dt/2 delivers at m
    slot, _ = delivery_slots(np.array([0.125, 0.375, 2.625]), 0.25)
    assert slot.tolist() == [0, 1, 10]


def test_delivery_slots_errors():
    with pytest.raises(ValueError, match=r"t_d_ms\[1\] is -0.5; delivery times must be finite"):
        delivery_slots(np.array([0.0, -0.5]), 0.025)
    with pytest.raises(ValueError, match=r"t_d_ms\[0\] is nan"):
        delivery_slots(np.array([np.nan]), 0.025)
    with pytest.raises(ValueError, match=r"dt_ms=0.0 must be > 0 ms"):
        delivery_slots(np.array([1.0]), 0.0)
    with pytest.raises(ValueError, match=r"t_d_ms must be a 1-D array"):
        delivery_slots(np.zeros((2, 2)), 0.025)
