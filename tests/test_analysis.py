"""dx.spike_times: upward threshold crossings, linearly interpolated; shapes and errors."""

import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx


def test_interpolated_crossings():
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    v = np.array([-70.0, -10.0, 30.0, -20.0, 10.0, 50.0])
    # crossings between samples 1->2 (at 1 + 10/40) and 3->4 (at 3 + 20/30)
    np.testing.assert_allclose(dx.spike_times(t, v), [1.25, 3.0 + 2.0 / 3.0])
    np.testing.assert_allclose(dx.spike_times(t, v, threshold_mV=40.0), [4.75])
    assert dx.spike_times(t, np.full(6, -65.0)).shape == (0,)


def test_sample_exactly_at_threshold_counts_once():
    t = np.arange(5.0)
    v = np.array([-5.0, 0.0, 5.0, 0.0, -5.0])  # v[k] < 0 <= v[k+1] only between 0 and 1
    np.testing.assert_allclose(dx.spike_times(t, v), [1.0])


def test_batch_with_time_on_last_axis_gives_one_array_per_trace():
    t = np.arange(4.0)
    v = jnp.array([[-1.0, 1.0, -1.0, 1.0], [-1.0, -1.0, -1.0, -1.0], [1.0, 1.0, 1.0, 1.0]])
    out = dx.spike_times(t, v)
    assert isinstance(out, list) and len(out) == 3
    np.testing.assert_allclose(out[0], [0.5, 2.5])
    assert out[1].size == 0 and out[2].size == 0  # starting above threshold is no crossing


def test_spikes_of_a_simulation(cell):
    result = dx.simulate(dx.compile(cell, t_stop_ms=15.0))
    spikes = dx.spike_times(result.t, result["v_soma"])
    assert spikes.size >= 1 and np.all((spikes > 2.0) & (spikes < 12.5))


@pytest.mark.parametrize(
    "t, v, kwargs, message",
    [
        (np.zeros((2, 3)), np.zeros(3), {}, "t_ms must be 1-D"),
        (np.array([0.0, 2.0, 1.0]), np.zeros(3), {}, "strictly increasing"),
        (np.arange(3.0), np.zeros(4), {}, "len(t_ms)=3"),
        (np.arange(3.0), np.zeros((2, 4)), {}, "time on the last axis"),
        (np.arange(3.0), np.zeros((1, 2, 3)), {}, "2-D array"),
        (np.arange(3.0), np.zeros(3), {"threshold_mV": "high"}, "as a number (mV)"),
        (np.arange(3.0), np.zeros(3), {"threshold_mV": np.nan}, "must be finite"),
    ],
)
def test_errors_name_the_argument_and_the_fix(t, v, kwargs, message):
    with pytest.raises(ValueError, match="spike_times") as info:
        dx.spike_times(t, v, **kwargs)
    assert message in str(info.value)


def test_recordings_module_still_provides_it():
    from dendrax.io._recordings import spike_times

    assert spike_times is dx.spike_times
